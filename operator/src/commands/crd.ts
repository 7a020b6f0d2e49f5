// `crd`: the CustomResourceDefinition as YAML, e.g. `sentiment-operator crd | kubectl apply -f -`.
import { parseArgs } from 'node:util';
import { crdYaml } from '@sentiment/crds';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: sentiment-operator crd\n\nPrints the SentimentPlatform CRD (the same YAML as crds/generated/).\n',
    );
    return 0;
  }
  process.stdout.write(crdYaml());
  return 0;
}
