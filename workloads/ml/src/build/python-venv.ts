// A Python virtual environment with exactly the pinned packages of a requirements file, made once per
// interpreter and file (the key), in the build cache: the quantiser and the Python peer benchmark.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './sources.js';

/** The environment's python, made on first use. */
export function pythonVenv(cacheDir: string, name: string, requirements: string): string {
  const python = process.env.PYTHON ?? 'python3';
  const interpreter = run(python, ['-c', 'import sys; print(sys.executable, sys.version)'], 'finding Python');
  const key = createHash('sha256').update(interpreter).update(readFileSync(requirements)).digest('hex');
  const venv = join(cacheDir, `${name}-venv-${key.slice(0, 12)}`);
  const bin = join(venv, 'bin', 'python');
  const ready = join(venv, '.installed');
  if (!existsSync(ready)) {
    rmSync(venv, { recursive: true, force: true });
    run(
      python,
      ['-m', 'venv', venv],
      `making a Python virtual environment in ${venv} (Debian: apt install python3-venv)`,
    );
    // --no-deps: the file pins the whole set, so nothing unpinned comes in.
    run(
      bin,
      ['-m', 'pip', 'install', '--quiet', '--no-deps', '-r', requirements],
      `installing ${requirements} from PyPI`,
    );
    writeFileSync(ready, '');
  }
  return bin;
}
