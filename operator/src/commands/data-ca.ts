// --data-ca-file, shared by `run` and `render`: the CA bundle (PEM) the data services' certificates chain
// to, handed to every platform's api and worker (synth/data-ca.ts). Unset: Node's default CAs suffice
// (AWS OpenSearch and ElastiCache use public CAs; RDS does not).
import { readFileSync } from 'node:fs';
import { CommandError } from './manifests.js';

export function dataCa(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`--data-ca-file: cannot read ${file}: ${(err as Error).message}`, 2);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem))
    throw new CommandError(`--data-ca-file: ${file} holds no PEM certificate`, 2);
  return pem;
}
