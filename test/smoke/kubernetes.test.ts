import test from 'ava';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { loadTestEnv } from '../src/index.js';

const env = loadTestEnv();
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const ns = `smoke-${process.pid}-${Date.now().toString(36)}`;

test.before(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

test.after.always(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

test('the API server is a real kube-apiserver v1.31', async (t) => {
  const version = await kc.makeApiClient(VersionApi).getCode();
  t.is(version.major, '1');
  t.is(version.minor, '31');
  t.regex(version.gitVersion, /^v1\.31\.\d+$/);
});

test('a ConfigMap round-trips through etcd', async (t) => {
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'greeting' }, data: { hello: 'world' } },
  });
  const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'greeting' });
  t.is(read.data?.hello, 'world');
  t.truthy(read.metadata?.uid);
});

test('the garbage collector deletes an owned child when its owner goes', async (t) => {
  const owner = await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'owner' }, data: {} },
  });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: {
        name: 'child',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
      },
    },
  });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner' });
  const deadline = Date.now() + 60_000;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    gone = await core.readNamespacedConfigMap({ namespace: ns, name: 'child' }).then(
      () => false,
      (err: { code?: number }) => err.code === 404,
    );
    if (!gone) await new Promise((r) => setTimeout(r, 250));
  }
  t.true(gone, 'child ConfigMap still exists 60 s after its owner was deleted');
});

test('a deleted namespace is emptied and removed by the namespace controller', async (t) => {
  const doomed = `${ns}-doomed`;
  await core.createNamespace({ body: { metadata: { name: doomed } } });
  await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'x' } } });
  await core.deleteNamespace({ name: doomed });
  const deadline = Date.now() + 60_000;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    gone = await core.readNamespace({ name: doomed }).then(
      () => false,
      (err: { code?: number }) => err.code === 404,
    );
    if (!gone) await new Promise((r) => setTimeout(r, 250));
  }
  t.true(gone, `namespace ${doomed} still exists 60 s after deletion`);
});
