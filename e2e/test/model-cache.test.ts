// The model cache on the test cluster's real node, as the CDK app's values install it (--model-cache-*: the
// bucket, its IRSA roles) with the Hub behind a mirror address (--model-cache-hub-endpoint): the operator's
// seed Job copies a llama.cpp model from the Hub into S3 (moto) and the platform says so (ModelCached), a
// second tenant of the same model copies nothing, and the LLM pod's init container, as the operator renders
// it, copies the model onto the pod's volume under the kubelet. The server itself needs a GPU the node does
// not have: the pod here runs the init container and a check of what it wrote instead.
import { createHash, randomBytes } from 'node:crypto';
import test from 'ava';
import { stringify } from 'yaml';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  IRSA_ROLE_ANNOTATION,
  LABELS,
  modelCacheManifestKey,
  modelCachePrefix,
  type ModelCacheManifest,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { awsClientConfig, startFakeHub, type FakeHub } from '@sentiment/testenv';
import {
  apps,
  condition,
  core,
  env,
  getPlatform,
  kubectl,
  kubectlResult,
  tenantNamespace,
  uniqueName,
  waitFor,
} from './support/cluster.js';
import { installOperator, uninstallOperator, type OperatorRelease } from './support/operator.js';

const REPO = 'sentiment-test/tiny-llama-GGUF';
const MODEL = `${REPO}:Q8_0`;
/** Two splits of the asked quantisation, and another quantisation the seed must leave on the Hub. */
const FILES = {
  'tiny-llama-Q8_0-00001-of-00002.gguf': randomBytes(3 * 1024 * 1024 + 17),
  'tiny-llama-Q8_0-00002-of-00002.gguf': randomBytes(1024 * 1024),
  'tiny-llama-Q4_K_M.gguf': randomBytes(512 * 1024),
  'README.md': Buffer.from('# tiny\n'),
};
const FIRST = 'tiny-llama-Q8_0-00001-of-00002.gguf';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// A hibernated tenant: the seed Job runs all the same, and the node keeps its CPUs for the rest.
const spec: SentimentPlatformSpec = {
  profile: 'demo',
  hibernate: true,
  llm: {
    provider: 'self-hosted',
    selfHosted: { runtime: 'llama-cpp', model: MODEL, instanceType: 'g5.xlarge', capacity: 'on-demand' },
  },
};

let op: OperatorRelease | undefined;
let hub: FakeHub | undefined;
const s3 = new S3Client(awsClientConfig(env));
const tenants: { namespace: string; name: string }[] = [];

test.before(async () => {
  // Where pods on the node reach this machine: the host end of the node link, as the data services are.
  hub = await startFakeHub(
    { [REPO]: { sha: 'c0ffee0000000000000000000000000000000001', files: FILES } },
    { host: new URL(env.DATABASE_URL).hostname },
  );
  op = await installOperator(uniqueName('e2e-model-cache'), 15_000, (values) => {
    (values.modelCache as Record<string, unknown>).hubEndpoint = hub!.endpoint;
  });
});

test.after.always(async () => {
  for (const t of tenants)
    await kubectl(['delete', 'namespace', t.namespace, '--wait=false']).catch(() => undefined);
  if (op) await uninstallOperator(op).catch(() => undefined);
  await hub?.close();
});

async function applyTenant(prefix: string): Promise<{ namespace: string; name: string }> {
  const namespace = await tenantNamespace(uniqueName(prefix));
  const tenant = { namespace, name: 'support' };
  tenants.push(tenant);
  await kubectl(
    ['apply', '-f', '-'],
    stringify({
      apiVersion: 'sentiment.analytics.dev/v1alpha1',
      kind: 'SentimentPlatform',
      metadata: { name: tenant.name, namespace },
      spec,
    }),
  );
  return tenant;
}

const seedJobOf = async (t: { namespace: string }) =>
  waitFor(
    `the seed Job in ${t.namespace}`,
    async () => {
      const jobs = JSON.parse(
        await kubectl([
          'get',
          'jobs',
          '-n',
          t.namespace,
          '-o',
          'json',
          '-l',
          `${LABELS.component}=model-seed`,
        ]),
      ) as { items: { metadata: { name: string }; status?: { succeeded?: number } }[] };
      return jobs.items[0];
    },
    120_000,
  );

test.serial(
  'the seed Job copies the asked quantisation from the Hub into S3; ModelCached turns True',
  async (t) => {
    const tenant = await applyTenant('tenant-mc-a');
    const cached = await waitFor(
      'ModelCached=True',
      async () => {
        const c = condition(await getPlatform(tenant.namespace, tenant.name), 'ModelCached');
        return c?.status === 'True' && c;
      },
      240_000,
      1_000,
    );
    const prefix = modelCachePrefix('llama-cpp', MODEL);
    t.is(prefix, 'models/llama-cpp/sentiment-test/tiny-llama-GGUF/Q8_0/');
    t.is(cached.message, `${MODEL} is in s3://${op!.modelCacheBucket}/${prefix}`);

    const get = async (key: string) =>
      Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: op!.modelCacheBucket, Key: key }))
        ).Body!.transformToByteArray(),
      );
    const manifest = JSON.parse((await get(modelCacheManifestKey(prefix))).toString()) as ModelCacheManifest;
    t.like(manifest, {
      model: MODEL,
      runtime: 'llama-cpp',
      revision: 'c0ffee0000000000000000000000000000000001',
    });
    t.deepEqual(
      manifest.files.map((f) => f.path),
      ['tiny-llama-Q8_0-00001-of-00002.gguf', 'tiny-llama-Q8_0-00002-of-00002.gguf'],
    );
    for (const f of manifest.files)
      t.is(sha256(await get(`${prefix}${f.path}`)), sha256(FILES[f.path as keyof typeof FILES]));
    t.deepEqual(hub!.served.sort(), [
      `${REPO}/tiny-llama-Q8_0-00001-of-00002.gguf`,
      `${REPO}/tiny-llama-Q8_0-00002-of-00002.gguf`,
    ]);

    // It ran as the seeder: its own ServiceAccount, whose role IRSA handed the pod.
    const job = await seedJobOf(tenant);
    const pod = (
      await core.listNamespacedPod({
        namespace: tenant.namespace,
        labelSelector: `job-name=${job.metadata.name}`,
      })
    ).items[0]!;
    t.is(pod.spec!.serviceAccountName, 'support-model-seed');
    const sa = await core.readNamespacedServiceAccount({
      namespace: tenant.namespace,
      name: 'support-model-seed',
    });
    const roleArn = sa.metadata!.annotations![IRSA_ROLE_ANNOTATION];
    t.regex(roleArn ?? '', /^arn:aws:iam::\d{12}:role\/.*ModelCacheSeeder/);
    t.is(pod.spec!.containers[0]!.env!.find((e) => e.name === 'AWS_ROLE_ARN')?.value, roleArn);
  },
);

test.serial(
  'a second tenant of the same model: its seed Job finds the model cached and copies nothing',
  async (t) => {
    const servedBefore = hub!.served.length;
    const tenant = await applyTenant('tenant-mc-b');
    await waitFor(
      'the second ModelCached=True',
      async () =>
        condition(await getPlatform(tenant.namespace, tenant.name), 'ModelCached')?.status === 'True',
      180_000,
      1_000,
    );
    t.is(hub!.served.length, servedBefore, 'nothing more was downloaded from the Hub');
    const job = await seedJobOf(tenant);
    const log = await kubectl(['logs', '-n', tenant.namespace, `job/${job.metadata.name}`]);
    t.regex(log, /already cached/);
  },
);

test.serial(
  "the LLM pod's init container, as rendered, copies the model onto the pod's volume on the real node",
  async (t) => {
    const { namespace, name } = tenants[0]!;
    const deployment = await apps.readNamespacedDeployment({ namespace, name: `${name}-llm` });
    const template = deployment.spec!.template.spec!;
    t.is(template.serviceAccountName, 'support-llm');
    const sa = await core.readNamespacedServiceAccount({ namespace, name: 'support-llm' });
    t.regex(sa.metadata!.annotations![IRSA_ROLE_ANNOTATION] ?? '', /ModelCacheReader/);
    const init = template.initContainers![0]!;
    const server = template.containers[0]!;
    const args = server.args!;
    t.is(args[args.indexOf('-m') + 1], '/models/cached/model.gguf');
    // The server needs a GPU node; in its place a container of the same mounts reads what the init container
    // wrote, through the link the server opens.
    const check = `
    const { createHash } = require('node:crypto');
    const { readFileSync, readlinkSync, readdirSync } = require('node:fs');
    const dir = '/models/cached';
    const link = readlinkSync(dir + '/model.gguf');
    const sha = createHash('sha256').update(readFileSync(dir + '/model.gguf')).digest('hex');
    console.log(JSON.stringify({ link, sha, files: readdirSync(dir).sort() }));`;
    const probe = `${name}-model-fetch-probe`;
    await kubectl(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: probe, namespace },
        spec: {
          serviceAccountName: template.serviceAccountName,
          automountServiceAccountToken: false,
          securityContext: template.securityContext,
          restartPolicy: 'Never',
          volumes: template.volumes,
          initContainers: [init],
          containers: [
            {
              name: 'check',
              image: init.image,
              command: ['node', '-e', check],
              volumeMounts: init.volumeMounts,
              securityContext: init.securityContext,
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
            },
          ],
        },
      }),
    );
    t.teardown(() => kubectlResult(['delete', 'pod', probe, '-n', namespace, '--wait=false']));
    const phase = await waitFor(
      `${probe} to finish`,
      async () => {
        const p = await core.readNamespacedPod({ namespace, name: probe });
        return ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && p.status!.phase!;
      },
      180_000,
      1_000,
    );
    const fetchLog = await kubectl(['logs', '-n', namespace, probe, '-c', init.name]);
    t.is(phase, 'Succeeded', fetchLog);
    const out = JSON.parse((await kubectl(['logs', '-n', namespace, probe, '-c', 'check'])).trim()) as {
      link: string;
      sha: string;
      files: string[];
    };
    t.is(out.link, FIRST);
    t.is(out.sha, sha256(FILES[FIRST]));
    t.deepEqual(out.files, ['.complete', 'model.gguf', FIRST, 'tiny-llama-Q8_0-00002-of-00002.gguf']);
    // One JSON line with what was copied and how fast: what an operator reads to see where start time goes.
    t.regex(
      fetchLog,
      new RegExp(`"bytes":${FILES[FIRST].length + FILES['tiny-llama-Q8_0-00002-of-00002.gguf'].length},`),
    );
  },
);
