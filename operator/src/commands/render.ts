// `render -f FILE`: the objects the operator would apply for each SentimentPlatform in FILE, as YAML,
// for review and GitOps previews. Nothing is sent anywhere; the spec is checked with the same rules
// the API server enforces, so an invalid file fails here with the same messages.
import { synthesize, toYaml } from '../synth/index.js';
import { dashboardOrigins } from './dashboard-origins.js';
import { dataCa } from './data-ca.js';
import { defaultImages } from './default-images.js';
import { ingressGroup } from './ingress-group.js';
import { checked, parseOptions, readManifests, runCommand } from './manifests.js';

const HELP = `usage: sentiment-operator render -f FILE [-f FILE...] [-n NAMESPACE] [--dashboard-origin URL]
                                [--default-image NAME=REF] [--data-ca-file PATH] [--ingress-group NAME]

Prints the Kubernetes objects of every SentimentPlatform in FILE ("-" reads stdin) as YAML.
  -f, --filename   manifest(s) to render
  -n, --namespace  namespace for objects whose manifest names none (default: default)
  --dashboard-origin URL
                   the dashboard origin tenant APIs allow (CORS), as run --dashboard-origin sets it
  --default-image NAME=REF
                   the installation's image for NAME (api, ml, vllm, llama-cpp), as run sets it
  --data-ca-file PATH
                   the data services' CA bundle, as run sets it
  --ingress-group NAME
                   the ALB IngressGroup HTTPS tenants share, as run sets it (default sentiment-platform)
`;

export async function run(argv: string[]): Promise<number> {
  return runCommand('render', HELP, () => {
    const { values } = parseOptions({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        namespace: { type: 'string', short: 'n' },
        'dashboard-origin': { type: 'string', multiple: true },
        'default-image': { type: 'string', multiple: true },
        'data-ca-file': { type: 'string' },
        'ingress-group': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const options = {
      dashboardOrigins: dashboardOrigins(values['dashboard-origin']),
      defaultImages: defaultImages(values['default-image']),
      dataServicesCa: dataCa(values['data-ca-file']),
      ingressGroup: ingressGroup(values['ingress-group']),
    };
    const objects = readManifests(values.filename).flatMap(({ file, platform: p }) => {
      const metadata = { ...p.metadata, namespace: p.metadata.namespace ?? values.namespace };
      const result = checked(file, p, () => synthesize({ metadata, spec: p.spec }, options));
      for (const w of result.warnings) process.stderr.write(`warning: ${file}: ${p.metadata.name}: ${w}\n`);
      return result.objects;
    });
    process.stdout.write(toYaml(objects));
    return 0;
  });
}
