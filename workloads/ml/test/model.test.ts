import test from 'ava';
import { SentimentModel } from '../src/model.js';
import { modelDir } from './model-fixture.js';

let model: SentimentModel;
test.before(async () => {
  model = await SentimentModel.load(await modelDir(), 2);
});
test.after.always(async () => {
  await model?.release();
});

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('clear cases are classified right, with probabilities that sum to 1 and a score in [-1, 1]', async (t) => {
  const [pos, neg, pos2, neg2] = await model.classify([
    'Thank you so much, the agent fixed my problem in minutes. Excellent support!',
    'This is the third time my order arrived broken. Terrible service, I want a refund.',
    'Great product, works perfectly and I love it.',
    'The app keeps crashing and nobody answers my emails. Awful.',
  ]);
  for (const r of [pos, neg, pos2, neg2]) {
    const sum = r!.probabilities.negative + r!.probabilities.neutral + r!.probabilities.positive;
    t.true(Math.abs(sum - 1) < 1e-4);
    t.true(r!.score >= -1 && r!.score <= 1);
  }
  t.is(pos!.label, 'positive');
  t.is(pos2!.label, 'positive');
  t.is(neg!.label, 'negative');
  t.is(neg2!.label, 'negative');
  t.true(pos!.score > 0.5 && neg!.score < -0.5);
});

test('a factual sentence is less polar than clear praise or complaint', async (t) => {
  const [fact, praise, complaint] = await model.classify([
    'The invoice was sent on Tuesday to the billing address on file.',
    'Absolutely wonderful experience, best support team ever!',
    'Worst experience ever, completely useless support.',
  ]);
  t.true(Math.abs(fact!.score) < Math.abs(praise!.score));
  t.true(Math.abs(fact!.score) < Math.abs(complaint!.score));
  t.true(fact!.probabilities.neutral > praise!.probabilities.neutral);
});

test('embeddings are unit vectors; similar sentences are closer than unrelated ones', async (t) => {
  const [a, b, c] = await model.embed([
    'I cannot log in to my account, the password reset email never arrives.',
    'Password reset emails are not being delivered so I am locked out of my account.',
    'The quarterly revenue report shows growth in the European market.',
  ]);
  t.is(a!.length, 384);
  t.true(Math.abs(cosine(a!, a!) - 1) < 1e-4);
  t.true(
    cosine(a!, b!) > cosine(a!, c!) + 0.15,
    `similar ${cosine(a!, b!).toFixed(3)} vs unrelated ${cosine(a!, c!).toFixed(3)}`,
  );
});

test('text longer than 512 tokens is pooled over windows, not truncated or refused', async (t) => {
  const praise = 'The support team was wonderful, helpful and fast. ';
  const long = praise.repeat(120) + 'Everything else was fine too.';
  const [r] = await model.classify([long]);
  t.is(r!.label, 'positive');
  const [short, unrelated, pooled] = await model.embed([
    praise,
    'Quarterly tax filing deadlines for small firms.',
    praise.repeat(120),
  ]);
  t.true(
    cosine(short!, pooled!) > cosine(unrelated!, pooled!) + 0.2,
    'the pooled windows keep the meaning of the repeated sentence',
  );
});
