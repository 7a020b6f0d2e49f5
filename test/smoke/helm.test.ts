import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadTestEnv } from '../src/index.js';

const run = promisify(execFile);
const env = loadTestEnv();

test('helm runs and reports a v3 version', async (t) => {
  const { stdout } = await run(env.HELM, ['version', '--short']);
  t.regex(stdout.trim(), /^v3\.\d+\.\d+/);
});

test('kubectl reaches the test API server', async (t) => {
  const { stdout } = await run(env.KUBECTL, [
    '--kubeconfig',
    env.KUBECONFIG,
    'get',
    'namespace',
    'default',
    '-o',
    'name',
  ]);
  t.is(stdout.trim(), 'namespace/default');
});
