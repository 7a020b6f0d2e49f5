// The S3 model cache of self-hosted LLMs (--model-cache-bucket): a seed Job per model writes it from the
// Hub, the LLM pod's init container copies it onto the pod's volume, the server loads it from there; the
// LLM pods run as a ServiceAccount of their own (the cache's reader role), the Job as another (the seeder's).
import test from 'ava';
import {
  DEFAULT_IMAGES,
  HF_TOKEN_KEY,
  IRSA_ROLE_ANNOTATION,
  MODEL_CACHE_ENV,
  isHubModel,
  modelCachePrefix,
  resolveSpec,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import {
  modelSeedJobName,
  synthesize,
  synthesizePlatform,
  type SynthOptions,
} from '../../src/synth/index.js';
import { container, envOf, find, has, type Json } from './helpers.js';

const READER = 'arn:aws:iam::123456789012:role/sentiment-prod-model-cache-reader';
const SEEDER = 'arn:aws:iam::123456789012:role/sentiment-prod-model-cache-seeder';
const CACHE: SynthOptions = {
  modelCache: {
    bucket: 'sentiment-prod-models',
    region: 'eu-west-1',
    endpointUrl: 'https://bucket.vpce-0abc.s3.eu-west-1.vpce.amazonaws.com',
    readerRoleArn: READER,
    seederRoleArn: SEEDER,
  },
};
const VLLM_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const GGUF_MODEL = 'bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:q4_k_m';
const spec = (model = VLLM_MODEL, runtime = 'vllm'): SentimentPlatformSpec =>
  ({ llm: { provider: 'self-hosted', selfHosted: { runtime, model } } }) as SentimentPlatformSpec;
const render = (s: SentimentPlatformSpec, options: SynthOptions = CACHE) =>
  synthesize({ metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: s }, options).objects;
const env = (c: Json) => Object.fromEntries((c.env as Json[]).map((e) => [e.name, e.value ?? e.valueFrom]));

test('vLLM: the init container copies the model from S3, the server loads its folder under the spec name', (t) => {
  const objects = render(spec());
  const pod = find(objects, 'Deployment', 'acme-llm').spec.template.spec;
  const prefix = 'models/vllm/meta-llama/Llama-3.1-8B-Instruct/';
  t.is(modelCachePrefix('vllm', VLLM_MODEL), prefix);
  const [init, ...more] = pod.initContainers as Json[];
  t.is(more.length, 0);
  t.is(init!.image, DEFAULT_IMAGES['model-cache']);
  t.deepEqual(init!.args, ['fetch']);
  t.like(env(init!), {
    [MODEL_CACHE_ENV.bucket]: 'sentiment-prod-models',
    [MODEL_CACHE_ENV.prefix]: prefix,
    [MODEL_CACHE_ENV.model]: VLLM_MODEL,
    [MODEL_CACHE_ENV.runtime]: 'vllm',
    [MODEL_CACHE_ENV.dir]: '/models/cached',
    [MODEL_CACHE_ENV.waitSeconds]: '21600',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL: 'https://bucket.vpce-0abc.s3.eu-west-1.vpce.amazonaws.com',
  });
  // It writes into the server's volume, and its root is read-only like the other platform containers'.
  const server = container(find(objects, 'Deployment', 'acme-llm'));
  const volumeOf = (c: Json, path: string) =>
    (c.volumeMounts as Json[]).find((m) => m.mountPath === path)?.name;
  t.is(volumeOf(init!, '/models'), volumeOf(server, '/models'));
  t.true(init!.securityContext.readOnlyRootFilesystem);

  const args = server.args as string[];
  t.deepEqual(args.slice(0, 4), ['--model', '/models/cached', '--served-model-name', VLLM_MODEL]);
  t.false(args.includes('--download-dir'), 'nothing is downloaded from the Hub by the server');
  t.true(args.includes('--max-model-len'), 'the sizing still applies');
});

test('llama.cpp: the server opens the linked GGUF (-m), served under the spec name, instead of -hf', (t) => {
  const objects = render(spec(GGUF_MODEL, 'llama-cpp'));
  const server = container(find(objects, 'Deployment', 'acme-llm'));
  const args = server.args as string[];
  t.false(args.includes('-hf'));
  t.is(args[args.indexOf('-m') + 1], '/models/cached/model.gguf');
  t.is(args[args.indexOf('--alias') + 1], GGUF_MODEL);
  const init = (find(objects, 'Deployment', 'acme-llm').spec.template.spec.initContainers as Json[])[0]!;
  // One copy per quantisation, named in upper case as the Hub's files are.
  t.is(
    env(init)[MODEL_CACHE_ENV.prefix],
    'models/llama-cpp/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/Q4_K_M/',
  );
});

test("the LLM pods' own ServiceAccount has the reader role; the tenant's role stays with the tenant's pods", (t) => {
  const objects = render({
    ...spec(),
    serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/acme-tenant' },
  } as SentimentPlatformSpec);
  t.is(find(objects, 'Deployment', 'acme-llm').spec.template.spec.serviceAccountName, 'acme-llm');
  t.is(find(objects, 'ServiceAccount', 'acme-llm').metadata.annotations[IRSA_ROLE_ANNOTATION], READER);
  t.false(find(objects, 'ServiceAccount', 'acme-llm').automountServiceAccountToken);
  t.is(find(objects, 'Deployment', 'acme-api').spec.template.spec.serviceAccountName, 'acme');
  t.is(
    find(objects, 'ServiceAccount', 'acme').metadata.annotations[IRSA_ROLE_ANNOTATION],
    'arn:aws:iam::123456789012:role/acme-tenant',
  );
});

test('the seed Job: named by the model, the seeder role, the tenant Hub token, a policy reaching only HTTPS', (t) => {
  const objects = render(spec());
  const name = modelSeedJobName('acme', modelCachePrefix('vllm', VLLM_MODEL));
  t.regex(name, /^acme-model-seed-[0-9a-f]{8}$/);
  const job = find(objects, 'Job', name);
  const pod = job.spec.template.spec;
  t.is(pod.serviceAccountName, 'acme-model-seed');
  t.is(find(objects, 'ServiceAccount', 'acme-model-seed').metadata.annotations[IRSA_ROLE_ANNOTATION], SEEDER);
  const seed = pod.containers[0] as Json;
  t.deepEqual(seed.args, ['seed']);
  t.like(env(seed), {
    [MODEL_CACHE_ENV.prefix]: 'models/vllm/meta-llama/Llama-3.1-8B-Instruct/',
    [MODEL_CACHE_ENV.model]: VLLM_MODEL,
  });
  t.deepEqual(envOf(seed, HF_TOKEN_KEY)?.valueFrom, {
    secretKeyRef: { name: 'acme-llm', key: HF_TOKEN_KEY, optional: true },
  });
  t.is(envOf(seed, 'HF_ENDPOINT'), undefined, "the Hub's own address unless the installation names a mirror");
  const mirror = 'https://artifacts.example.com/api/huggingfaceml/hf';
  const viaMirror = render(spec(), { modelCache: { ...CACHE.modelCache!, hubEndpoint: mirror } });
  t.is(
    envOf(find(viaMirror, 'Job', name).spec.template.spec.containers[0] as Json, 'HF_ENDPOINT')?.value,
    mirror,
  );
  t.is(pod.restartPolicy, 'Never');
  t.is(job.spec.activeDeadlineSeconds, 21600);
  // A Job's template is immutable: no digest of the platform's config on it.
  t.is(job.spec.template.metadata.annotations, undefined);
  const policy = find(objects, 'NetworkPolicy', 'acme-model-seed');
  t.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
  t.is(policy.spec.ingress, undefined);
  // Anywhere on HTTPS (the Hub's CDN has no fixed addresses) but the instance metadata service.
  t.deepEqual(policy.spec.egress, [
    {
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    },
  ]);

  // Another model, another Job (the old one is pruned); the same model in another tenant, the same prefix.
  const other = render(spec('meta-llama/Llama-3.2-3B-Instruct'));
  t.false(has(other, 'Job', name));
  t.is(other.filter((o) => o.kind === 'Job').length, 1);
});

test("the quota makes room for the seed Job's pod", (t) => {
  const hard = (o: SynthOptions) => find(render(spec(), o), 'ResourceQuota', 'acme-quota').spec.hard;
  const withCache = hard(CACHE);
  const without = hard({});
  t.is(Number(withCache.pods), Number(without.pods) + 1);
  const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
  t.is(Math.round((cpu(withCache['requests.cpu']) - cpu(without['requests.cpu'])) * 1000), 500);
});

test('without a cache, or for a model not named by a Hub id, nothing changes: the server downloads it', (t) => {
  const plain = render(spec(), {});
  const server = container(find(plain, 'Deployment', 'acme-llm'));
  t.deepEqual((server.args as string[]).slice(0, 2), ['--model', VLLM_MODEL]);
  t.true((server.args as string[]).includes('--download-dir'));
  t.is(find(plain, 'Deployment', 'acme-llm').spec.template.spec.initContainers, undefined);
  t.is(find(plain, 'Deployment', 'acme-llm').spec.template.spec.serviceAccountName, 'acme');
  for (const [kind, name] of [
    ['ServiceAccount', 'acme-llm'],
    ['ServiceAccount', 'acme-model-seed'],
    ['NetworkPolicy', 'acme-model-seed'],
  ] as const)
    t.false(has(plain, kind, name), `${kind} ${name}`);
  t.is(plain.filter((o) => o.kind === 'Job').length, 0);

  for (const model of ['/opt/models/llama', 's3://bucket/llama', 'org/../etc', 'llama3']) {
    t.false(isHubModel(model), model);
    const objects = render(spec(model));
    t.is(objects.filter((o) => o.kind === 'Job').length, 0, model);
    t.is(find(objects, 'Deployment', 'acme-llm').spec.template.spec.initContainers, undefined, model);
  }
  // Other providers have no LLM pod to cache for.
  t.false(render({} as SentimentPlatformSpec).some((o) => o.kind === 'Job'));
});

test("the installation's mirror of the model cache image (--default-image model-cache=…)", (t) => {
  const mirror = 'registry.example.com/sentiment/model-cache:0.1.0';
  const objects = render(spec(), { ...CACHE, defaultImages: { 'model-cache': mirror } });
  const init = (find(objects, 'Deployment', 'acme-llm').spec.template.spec.initContainers as Json[])[0]!;
  t.is(init.image, mirror);
  t.is(
    (
      find(objects, 'Job', objects.find((o) => o.kind === 'Job')!.metadata!.name!).spec.template.spec
        .containers[0] as Json
    ).image,
    mirror,
  );
});

test("the reconciler learns the seed Job's name and the cache location, for the ModelCached condition", (t) => {
  const s = spec();
  const platform = { metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: s };
  const { objects, modelSeed } = synthesizePlatform(platform, resolveSpec(s), CACHE);
  t.truthy(modelSeed);
  t.true(has(objects, 'Job', modelSeed!.job));
  t.deepEqual(modelSeed, {
    job: modelSeed!.job,
    model: VLLM_MODEL,
    location: 's3://sentiment-prod-models/models/vllm/meta-llama/Llama-3.1-8B-Instruct/',
  });
  t.is(synthesizePlatform(platform, resolveSpec(s), {}).modelSeed, undefined);
});
