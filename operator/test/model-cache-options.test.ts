// The model cache flags as `run` and the kubectl plugin read them: from a flag, else from the chart's
// environment; nothing without a bucket, each value checked for its shape.
import test from 'ava';
import { OPERATOR_SYNTH_ENV } from '@sentiment/crds';
import { modelCacheOptions, modelCacheSettings } from '../src/commands/model-cache-options.js';
import { operatorSettings } from '../src/plugin/operator-options.js';

const READER = 'arn:aws:iam::123456789012:role/reader';
const SEEDER = 'arn:aws:iam::123456789012:role/seeder';
const noEnv = () => undefined;
const options = (values: Record<string, unknown>, env: (name: string) => string | undefined = noEnv) =>
  modelCacheOptions(modelCacheSettings(values, env));

test('a bucket gives the options, with what else is set; no bucket, no cache', (t) => {
  t.deepEqual(
    options({
      'model-cache-bucket': 'models',
      'model-cache-region': 'eu-west-1',
      'model-cache-endpoint-url': 'http://10.77.0.1:35050',
      'model-cache-hub-endpoint': 'https://artifacts.example.com/api/huggingfaceml/hf',
      'model-cache-reader-role': READER,
      'model-cache-seeder-role': SEEDER,
    }),
    {
      bucket: 'models',
      region: 'eu-west-1',
      endpointUrl: 'http://10.77.0.1:35050',
      hubEndpoint: 'https://artifacts.example.com/api/huggingfaceml/hf',
      readerRoleArn: READER,
      seederRoleArn: SEEDER,
    },
  );
  t.deepEqual(options({ 'model-cache-bucket': 'models' }), { bucket: 'models' });
  t.is(options({}), undefined);
  // The chart writes no empty flags, but an empty environment variable means unset too.
  t.is(
    options({}, (n) => (n === OPERATOR_SYNTH_ENV.modelCacheBucket ? '' : undefined)),
    undefined,
  );
});

test('the environment stands in for a flag; a flag wins', (t) => {
  const env: Record<string, string> = {
    [OPERATOR_SYNTH_ENV.modelCacheBucket]: 'from-env',
    [OPERATOR_SYNTH_ENV.modelCacheReaderRoleArn]: READER,
  };
  t.deepEqual(
    options({}, (n) => env[n]),
    { bucket: 'from-env', readerRoleArn: READER },
  );
  t.is(options({ 'model-cache-bucket': 'from-flag' }, (n) => env[n])?.bucket, 'from-flag');
});

test('a role or endpoint without a bucket, a bad bucket name or a role ARN of the wrong kind: an error naming the flag', (t) => {
  t.throws(() => options({ 'model-cache-reader-role': READER, 'model-cache-region': 'eu-west-1' }), {
    message: '--model-cache-region, --model-cache-reader-role: set only with --model-cache-bucket',
  });
  t.throws(() => options({ 'model-cache-bucket': 'Models_Bucket' }), {
    message: '--model-cache-bucket Models_Bucket: not an S3 bucket name',
  });
  t.throws(
    () =>
      options({
        'model-cache-bucket': 'models',
        'model-cache-seeder-role': 'arn:aws:iam::123456789012:policy/seeder',
      }),
    { message: /--model-cache-seeder-role arn:aws:iam::123456789012:policy\/seeder: not an IAM role ARN/ },
  );
  t.throws(() => options({ 'model-cache-bucket': 'models', 'model-cache-hub-endpoint': 'huggingface.co' }), {
    message: '--model-cache-hub-endpoint huggingface.co: not an http(s) URL',
  });
});

test("the plugin reads them off the operator's Deployment, args and literal env alike", (t) => {
  const settings = operatorSettings({
    metadata: { name: 'sentiment-operator', namespace: 'sentiment-system' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'operator',
              args: ['run', '--model-cache-bucket=models', `--model-cache-reader-role=${READER}`],
              env: [{ name: OPERATOR_SYNTH_ENV.modelCacheSeederRoleArn, value: SEEDER }],
            },
          ],
        },
      },
    },
  });
  t.deepEqual(modelCacheOptions(settings.modelCache), {
    bucket: 'models',
    readerRoleArn: READER,
    seederRoleArn: SEEDER,
  });
});
