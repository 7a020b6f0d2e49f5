import test from 'ava';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { loadTestEnv, waitFor } from '../src/index.js';

// IRSA as on EKS: amazon-eks-pod-identity-webhook (test/env/node.sh) mutates the pods of ServiceAccounts
// annotated with eks.amazonaws.com/role-arn. Creating the pod is the admission; its spec comes back mutated.
const env = loadTestEnv();
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const ns = `irsa-${process.pid}-${Date.now().toString(36)}`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/test';
const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

test.before(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedServiceAccount({
    namespace: ns,
    body: { metadata: { name: 'tenant', annotations: { 'eks.amazonaws.com/role-arn': ROLE_ARN } } },
  });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'plain' } } });
});

test.after.always(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

/** A pod of the API image (as the workloads run: uid 65532) that prints its AWS env and its web identity token. */
function pod(name: string, serviceAccountName: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      serviceAccountName,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
      containers: [
        {
          name: 'main',
          image: env.API_IMAGE,
          imagePullPolicy: 'Never',
          command: [
            'sh',
            '-c',
            'env | grep ^AWS_ | sort; echo "token=$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")"; echo done; sleep 3600',
          ],
        },
      ],
    },
  };
}

const envOf = (p: V1Pod) =>
  Object.fromEntries((p.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

function jwtPayload(token: string): { aud?: string[] | string; sub?: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    aud?: string[] | string;
    sub?: string;
  };
}

test('a pod of an annotated ServiceAccount is admitted with the IRSA env and an sts.amazonaws.com token, which the kubelet projects', async (t) => {
  const admitted = await core.createNamespacedPod({ namespace: ns, body: pod('irsa', 'tenant') });
  t.like(envOf(admitted), {
    AWS_ROLE_ARN: ROLE_ARN,
    AWS_WEB_IDENTITY_TOKEN_FILE: `${TOKEN_DIR}/token`,
    AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    AWS_REGION: env.AWS_REGION,
    AWS_DEFAULT_REGION: env.AWS_REGION,
  });
  const volume = admitted.spec?.volumes?.find((v) =>
    v.projected?.sources?.some((s) => s.serviceAccountToken?.audience === 'sts.amazonaws.com'),
  );
  t.truthy(
    volume,
    `no projected token volume with audience sts.amazonaws.com: ${JSON.stringify(admitted.spec?.volumes)}`,
  );
  const source = volume!.projected!.sources!.find((s) => s.serviceAccountToken)!.serviceAccountToken!;
  t.is(source.path, 'token');
  t.true((source.expirationSeconds ?? 0) >= 3600);
  const mount = admitted.spec!.containers[0]!.volumeMounts?.find((m) => m.name === volume!.name);
  t.is(mount?.mountPath, TOKEN_DIR);
  t.true(mount?.readOnly);

  // Running: the kubelet wrote the token the env points at, for the pod's ServiceAccount and STS.
  const logs = await waitFor(
    'the IRSA pod to print its token',
    async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'irsa' });
      if (p.status?.phase === 'Failed') throw new Error(`pod failed: ${JSON.stringify(p.status)}`);
      if (p.status?.phase !== 'Running') return undefined;
      const out = await core.readNamespacedPodLog({ namespace: ns, name: 'irsa' });
      return out.includes('\ndone') ? out : undefined;
    },
    120_000,
    500,
  );
  t.regex(logs, new RegExp(`^AWS_ROLE_ARN=${ROLE_ARN}$`, 'm'));
  const token = /^token=(.*)$/m.exec(logs)?.[1] ?? '';
  t.regex(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, `the token file holds no JWT: ${logs}`);
  const claims = jwtPayload(token);
  t.deepEqual([claims.aud].flat(), ['sts.amazonaws.com']);
  t.is(claims.sub, `system:serviceaccount:${ns}:tenant`);

  // What the SDK in the pod does with it: AssumeRoleWithWebIdentity (unsigned) at the AWS endpoint, moto here.
  const sts = await assumeRoleWithWebIdentity(token);
  t.is(sts.status, 200, sts.body);
  t.regex(sts.body, /<Arn>arn:aws:sts::123456789012:assumed-role\/test\/irsa-smoke<\/Arn>/);
});

test('a pod of a ServiceAccount without the annotation, or labelled to skip, is not mutated', async (t) => {
  for (const body of [
    pod('plain', 'plain'),
    pod('skipped', 'tenant', { 'eks.amazonaws.com/skip-pod-identity-webhook': 'true' }),
  ]) {
    const admitted = await core.createNamespacedPod({ namespace: ns, body });
    t.false('AWS_ROLE_ARN' in envOf(admitted), body.metadata!.name);
    t.false(
      (admitted.spec?.volumes ?? []).some((v) =>
        v.projected?.sources?.some((s) => s.serviceAccountToken?.audience),
      ),
      body.metadata!.name,
    );
    await core.deleteNamespacedPod({ namespace: ns, name: body.metadata!.name!, gracePeriodSeconds: 0 });
  }
});

test("moto's STS answers AssumeRoleWithWebIdentity without verifying the token (IAM isolation is not exercised here)", async (t) => {
  const sts = await assumeRoleWithWebIdentity('not-a-token');
  t.is(sts.status, 200, sts.body);
  t.regex(sts.body, /<AccessKeyId>/);
});

async function assumeRoleWithWebIdentity(token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(env.AWS_ENDPOINT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE_ARN,
      RoleSessionName: 'irsa-smoke',
      WebIdentityToken: token,
    }),
  });
  return { status: res.status, body: await res.text() };
}
