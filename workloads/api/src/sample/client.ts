// The public API as an analyst's tools use it: log in, upload a CSV export, follow the job. The local
// platform, the cluster demo (`npm run start:cluster`) and the end-to-end tests load data through it.

import type { JobView } from '../routes/jobs.js';

/** What these tools read of a job (the route's schema is the whole of it). */
export type QueuedJob = Pick<
  JobView,
  'id' | 'state' | 'rowsRead' | 'rowsScored' | 'rowsIndexed' | 'errorCount' | 'failure'
>;

async function expectStatus(res: Response, status: number, what: string): Promise<unknown> {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** A bearer token for a local account (POST /v1/auth/login). */
export async function login(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return ((await expectStatus(res, 200, `login at ${base}`)) as { token: string }).token;
}

/** Uploads a CSV export (POST /v1/ingest/csv); the job it queues runs in a worker. */
export async function uploadCsv(
  base: string,
  token: string,
  file: Blob,
  filename: string,
): Promise<QueuedJob> {
  const form = new FormData();
  form.append('file', file, filename);
  const res = await fetch(`${base}/v1/ingest/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return (await expectStatus(res, 202, 'upload')) as QueuedJob;
}

export async function getJob(base: string, token: string, id: string): Promise<QueuedJob> {
  const res = await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return (await expectStatus(res, 200, `GET /v1/jobs/${id}`)) as QueuedJob;
}
