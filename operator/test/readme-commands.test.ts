// The operator commands the README shows, run as a user runs them after its set-up commands: `npx` from the
// repository root. npx finds `sentiment-operator` only through the workspace's bin link, which npm makes at
// install time and skips while operator/dist/cli.js does not exist yet; `npm run build` links it afterwards.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMANDS = readFileSync(`${ROOT}README.md`, 'utf8')
  .split('\n')
  .map((line) => /^npx (sentiment-operator [^#]*?)\s*(#.*)?$/.exec(line)?.[1])
  .filter((c): c is string => c !== undefined);

test('the README shows operator commands', (t) => {
  t.true(COMMANDS.length >= 4, COMMANDS.join('\n'));
});

for (const command of COMMANDS) {
  test(`npx ${command}`, async (t) => {
    // --no-install: a missing link fails here instead of asking the public registry for the name.
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) =>
        execFile(
          'npx',
          ['--no-install', ...command.split(/\s+/)],
          { cwd: ROOT, timeout: 60_000 },
          (err, out, errOut) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
        ),
    );
    t.is(code, 0, stderr);
    t.true(stdout.length > 0);
  });
}
