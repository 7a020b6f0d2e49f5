// kubectl against the test API server (test/env). loadTestEnv() throws a clear instruction when the
// environment is not up: these tests fail, never skip. kubectl rather than client-node, so objects
// reach the server exactly as rendered (client-node's typed serializer drops fields it does not know)
// and unknown fields are rejected (kubectl validates strictly).
import { execFile } from 'node:child_process';
import { FIELD_MANAGER } from '@sentiment/crds';
import { loadTestEnv } from '@sentiment/testenv';
import { toYaml, type KubeObject } from '../../src/synth/index.js';

export const env = loadTestEnv();

export function kubectl(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      env.KUBECTL,
      ['--kubeconfig', env.KUBECONFIG, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** A namespace of this test file's own, optionally labelled (e.g. for Pod Security admission). */
export async function tempNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  await kubectl(['create', 'namespace', name]);
  if (Object.keys(labels).length) {
    await kubectl(['label', 'namespace', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  }
  return name;
}

/** Server-side apply as the operator's field manager, dry run: what the API server would store, as JSON. */
export function dryRunApply(namespace: string, objects: KubeObject[]): Promise<string> {
  return kubectl(
    [
      'apply',
      '--server-side',
      '--dry-run=server',
      `--field-manager=${FIELD_MANAGER}`,
      '-n',
      namespace,
      '-o',
      'json',
      '-f',
      '-',
    ],
    toYaml(objects),
  );
}
