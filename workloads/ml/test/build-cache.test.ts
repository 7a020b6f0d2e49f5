import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildModel } from '../src/build/build.js';
import { readManifest } from '../src/manifest.js';
import { defaultCacheDir, MODEL_FILES } from '../src/paths.js';
import { modelDir } from './model-fixture.js';

test('another model directory gets the model built before from the same inputs, copied, not trained', async (t) => {
  const dir = await modelDir();
  const other = mkdtempSync(join(tmpdir(), 'ml-model-'));
  try {
    const logged: string[] = [];
    const { built, manifest } = await buildModel({
      modelDir: other,
      cacheDir: defaultCacheDir(),
      threads: 1,
      log: (m) => logged.push(m),
    });
    t.false(built);
    t.regex(logged.join('\n'), /copied the model built before/);
    t.is(manifest.key, readManifest(dir)!.key);
    for (const f of Object.values(MODEL_FILES)) {
      t.true(readFileSync(join(other, f)).equals(readFileSync(join(dir, f))), `${f} differs`);
    }
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});
