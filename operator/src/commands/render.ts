// `render -f FILE`: the objects the operator would apply for each SentimentPlatform in FILE, as YAML,
// for review and GitOps previews. Nothing is sent anywhere; the spec is checked with the same rules
// the API server enforces, so an invalid file fails here with the same messages.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { API_GROUP, API_VERSION, InvalidSpecError, KIND, type SentimentPlatform } from '@sentiment/crds';
import { synthesize, toYaml, type KubeObject } from '../synth/index.js';

const HELP = `usage: sentiment-operator render -f FILE [-f FILE...] [-n NAMESPACE]

Prints the Kubernetes objects of every SentimentPlatform in FILE ("-" reads stdin) as YAML.
  -f, --filename   manifest(s) to render
  -n, --namespace  namespace for objects whose manifest names none (default: default)
`;

/** The SentimentPlatform documents of a YAML stream; anything else is an error worth stopping for. */
export function parsePlatforms(text: string, source: string): SentimentPlatform[] {
  const platforms: SentimentPlatform[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const o = value as Partial<SentimentPlatform>;
    if (o.apiVersion !== `${API_GROUP}/${API_VERSION}` || o.kind !== KIND) {
      throw new Error(
        `${source}: expected ${API_GROUP}/${API_VERSION} ${KIND}, found ${String(o.apiVersion)} ${String(o.kind)}`,
      );
    }
    if (!o.metadata?.name) throw new Error(`${source}: a ${KIND} without metadata.name`);
    platforms.push({ ...(o as SentimentPlatform), spec: o.spec ?? {} });
  }
  return platforms;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        namespace: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`render: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.filename?.length) {
    process.stderr.write(`render: -f FILE is required\n\n${HELP}`);
    return 2;
  }
  const objects: KubeObject[] = [];
  for (const file of values.filename) {
    let platforms: SentimentPlatform[];
    try {
      platforms = parsePlatforms(readFileSync(file === '-' ? 0 : file, 'utf8'), file);
    } catch (err) {
      process.stderr.write(`render: ${(err as Error).message}\n`);
      return 1;
    }
    for (const p of platforms) {
      const metadata = { ...p.metadata, namespace: p.metadata.namespace ?? values.namespace };
      try {
        const result = synthesize({ metadata, spec: p.spec });
        for (const w of result.warnings) process.stderr.write(`warning: ${file}: ${p.metadata.name}: ${w}\n`);
        objects.push(...result.objects);
      } catch (err) {
        if (!(err instanceof InvalidSpecError)) throw err;
        process.stderr.write(`render: ${file}: ${p.metadata.name}: ${err.message}\n`);
        return 1;
      }
    }
  }
  process.stdout.write(toYaml(objects));
  return 0;
}
