// The one routine of the generators here: write the generated file, or with --check fail if the
// committed copy differs (a missing copy is as stale as an outdated one). The tests run --check.
import { readFileSync, writeFileSync } from 'node:fs';

/** @param {string} target @param {string} expected @param {string} script the generator, for the message */
export function writeOrCheck(target, expected, script) {
  if (!process.argv.includes('--check')) {
    writeFileSync(target, expected);
    return;
  }
  let actual = '';
  try {
    actual = readFileSync(target, 'utf8');
  } catch {
    // missing: stale
  }
  if (actual !== expected) {
    console.error(`${target} is stale: run \`node charts/scripts/${script}\``);
    process.exit(1);
  }
}
