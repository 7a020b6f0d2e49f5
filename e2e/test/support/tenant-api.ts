// A tenant's analytics API as an analyst's client reaches it: through its Service, logged in with the
// bootstrap admin the operator generated in `<name>-auth`.
import { getJob, login, uploadCsv, type QueuedJob } from '@sentiment/api';
import { AUTH_SECRET_KEYS, authSecretName } from '@sentiment/crds';
import { secretData, serviceUrl, waitFor } from './cluster.js';

export class TenantApi {
  private constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  static async login(namespace: string, platform: string): Promise<TenantApi> {
    const auth = await secretData(namespace, authSecretName(platform));
    return TenantApi.withLogin(
      await serviceUrl(namespace, `${platform}-api`),
      auth[AUTH_SECRET_KEYS.adminEmail]!,
      auth[AUTH_SECRET_KEYS.adminPassword]!,
    );
  }

  static async withLogin(base: string, email: string, password: string): Promise<TenantApi> {
    return new TenantApi(base, await login(base, email, password));
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  upload(filename: string, csv: string): Promise<QueuedJob> {
    return uploadCsv(this.base, this.token, new Blob([csv], { type: 'text/csv' }), filename);
  }

  job(id: string): Promise<QueuedJob> {
    return getJob(this.base, this.token, id);
  }

  finished(id: string, ms: number): Promise<QueuedJob> {
    return waitFor(
      `job ${id} to finish`,
      async () => {
        const j = await this.job(id);
        return (j.state === 'completed' || j.state === 'failed') && j;
      },
      ms,
    );
  }
}
