// The operator as a platform team installs it: `helm install` of charts/sentiment-operator from this
// checkout with the values the CDK app's Operator stack gives it, running the operator image built from it,
// with the chart's own RBAC and leader election.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_GROUP, PLURAL } from '@sentiment/crds';
import {
  apps,
  coordination,
  env,
  helm,
  kubectl,
  kubectlResult,
  REPO_DIR,
  restrictedNamespace,
} from './cluster.js';
import { operatorValuesFromCdk } from './cdk-deploy.js';

export const OPERATOR_CHART = join(REPO_DIR, 'charts', 'sentiment-operator');
const CRD = `${PLURAL}.${API_GROUP}`;

export interface OperatorRelease {
  release: string;
  namespace: string;
  /** The operator's ServiceAccount identity, as the API server's audit log names it. */
  username: string;
  leaseName: string;
  /** The installation's backup bucket (the CDK app's, made in moto). */
  backupBucket: string;
  /** The permissions boundary of its per-tenant backup roles (the CDK app's policy, made in moto). */
  backupRoleBoundary: string;
  /** The installation's model cache bucket (the CDK app's, made in moto). */
  modelCacheBucket: string;
}

const imageParts = (ref: string) => {
  const at = ref.lastIndexOf(':');
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
};

/**
 * The chart values of an installation in `namespace` (which must exist; `run` names its stand-ins in moto):
 * what the CDK app's Operator stack writes, resolved onto the test services and moto, with this checkout's
 * images and the test data services' CA. Makes the Secret of moto's dummy keys in the namespace (IRSA's
 * stand-in for the operator itself).
 */
export async function operatorValues(
  run: string,
  namespace: string,
  leaseDurationMs: number,
): Promise<Record<string, unknown>> {
  // The chart values the CDK app's Operator stack writes (platform.*: the managed services' endpoints and
  // the Secrets Manager secrets of their admin credentials; backup.*: the tenant backup bucket and the
  // per-tenant backup roles' boundary and OIDC provider), resolved onto the test services and moto.
  const values: Record<string, unknown> = await operatorValuesFromCdk(run);
  const backup = values.backup as Record<string, unknown>;
  // moto's region, and its endpoint for the tenants' backup pods, which reach S3 and STS as the operator
  // does; their credentials come from IRSA (the pod identity webhook), not from the operator's.
  Object.assign(backup, { region: env.AWS_REGION, endpointUrl: env.AWS_ENDPOINT_URL });
  // Likewise the model cache's seed Jobs and the LLM pods' init containers.
  Object.assign(values.modelCache as Record<string, unknown>, {
    region: env.AWS_REGION,
    endpointUrl: env.AWS_ENDPOINT_URL,
  });
  // The CDK app makes the ServiceAccount itself (for IRSA) and pins the operator to the system node group;
  // this cluster's one node is the general pool, and the chart makes the ServiceAccount.
  values.serviceAccount = { create: true };
  values.nodeSelector = {};
  // IRSA stands in as moto's dummy keys from a Secret; the SDK finds moto through AWS_ENDPOINT_URL.
  await kubectl([
    'create',
    'secret',
    'generic',
    'aws-credentials',
    '-n',
    namespace,
    `--from-literal=access-key-id=${env.AWS_ACCESS_KEY_ID}`,
    `--from-literal=secret-access-key=${env.AWS_SECRET_ACCESS_KEY}`,
  ]);
  const fromSecret = (key: string) => ({ secretKeyRef: { name: 'aws-credentials', key } });
  values.extraEnv = [
    { name: 'AWS_ENDPOINT_URL', value: env.AWS_ENDPOINT_URL },
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: fromSecret('access-key-id') },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: fromSecret('secret-access-key') },
  ];
  values.image = imageParts(env.OPERATOR_IMAGE);
  values.tenantImages = {
    api: env.API_IMAGE,
    ml: env.ML_IMAGE,
    backup: env.BACKUP_IMAGE,
    'model-cache': env.MODEL_CACHE_IMAGE,
  };
  // The test data services' CA, as a platform team passes the RDS CA bundle.
  values.dataServices = { caBundle: readFileSync(env.DATA_CA_FILE, 'utf8') };
  values.leaderElection = { leaseDurationMs };
  return values;
}

/**
 * Installs the chart into a new restricted namespace and waits for its Deployment. The CRD may already
 * exist (other suites apply it with kubectl): it is adopted into the release, as Helm documents for
 * resources created outside it.
 */
export async function installOperator(
  release: string,
  leaseDurationMs: number,
  /** Changes a test makes to the values (e.g. the model cache's Hub). */
  adjust: (values: Record<string, unknown>) => void = () => undefined,
): Promise<OperatorRelease> {
  const namespace = await restrictedNamespace(release);
  const existing = await kubectlResult(['get', 'crd', CRD]);
  if (existing.code === 0) {
    await kubectl(['label', '--overwrite', 'crd', CRD, 'app.kubernetes.io/managed-by=Helm']);
    await kubectl([
      'annotate',
      '--overwrite',
      'crd',
      CRD,
      `meta.helm.sh/release-name=${release}`,
      `meta.helm.sh/release-namespace=${namespace}`,
    ]);
  }
  const values = await operatorValues(release, namespace, leaseDurationMs);
  adjust(values);
  const backup = values.backup as { bucket: string; tenantRoles: { permissionsBoundaryArn: string } };
  const valuesFile = join(mkdtempSync(join(tmpdir(), 'operator-values-')), 'values.json');
  writeFileSync(valuesFile, JSON.stringify(values));
  await helm([
    'install',
    release,
    OPERATOR_CHART,
    '--namespace',
    namespace,
    '-f',
    valuesFile,
    '--wait',
    '--timeout',
    '5m',
  ]);
  const deployment = (await apps.listNamespacedDeployment({ namespace })).items[0]!;
  return {
    release,
    namespace,
    username: `system:serviceaccount:${namespace}:${deployment.spec!.template.spec!.serviceAccountName}`,
    leaseName: 'sentiment-operator',
    backupBucket: backup.bucket,
    backupRoleBoundary: backup.tenantRoles.permissionsBoundaryArn,
    modelCacheBucket: (values.modelCache as { bucket: string }).bucket,
  };
}

/** The pod holding the leader Lease. */
export async function leaderPod(op: OperatorRelease): Promise<string | undefined> {
  const lease = await coordination.readNamespacedLease({ namespace: op.namespace, name: op.leaseName });
  return lease.spec?.holderIdentity ?? undefined;
}

export async function uninstallOperator(op: OperatorRelease): Promise<void> {
  await helm(['uninstall', op.release, '--namespace', op.namespace, '--wait']);
  await kubectl(['delete', 'namespace', op.namespace, '--wait=false']);
}
