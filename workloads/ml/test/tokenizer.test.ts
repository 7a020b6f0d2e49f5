import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILES } from '../src/paths.js';
import { MAX_SEQUENCE, WordPieceTokenizer } from '../src/tokenizer.js';
import { modelDir } from './model-fixture.js';

let tokenizer: WordPieceTokenizer;
test.before(async () => {
  tokenizer = WordPieceTokenizer.fromFile(join(await modelDir(), MODEL_FILES.tokenizer));
});

test('ids equal those of the reference tokenizer (Hugging Face tokenizers) on tricky text and training samples', (t) => {
  const cases = JSON.parse(
    readFileSync(join(import.meta.dirname, 'fixtures', 'tokenizer-reference.json'), 'utf8'),
  ) as { text: string; ids: number[] }[];
  t.true(cases.length > 60);
  const mismatches = cases
    .filter((c) => JSON.stringify(tokenizer.encode(c.text)) !== JSON.stringify(c.ids))
    .map((c) => c.text);
  t.deepEqual(mismatches, []);
});

test('special tokens frame every window; long text is split into windows of at most 512, never refused', (t) => {
  t.deepEqual(tokenizer.encodeWindows(''), [[tokenizer.clsId, tokenizer.sepId]]);
  const long = 'the service was slow but the agent was kind. '.repeat(200);
  const windows = tokenizer.encodeWindows(long);
  t.true(windows.length >= 4);
  for (const w of windows) {
    t.true(w.length <= MAX_SEQUENCE);
    t.is(w[0], tokenizer.clsId);
    t.is(w.at(-1), tokenizer.sepId);
  }
  t.deepEqual(
    windows.flatMap((w) => w.slice(1, -1)),
    tokenizer.encode(long),
    'nothing lost between windows',
  );
});
