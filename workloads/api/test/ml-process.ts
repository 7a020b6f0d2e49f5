// The real ML service (workloads/ml, `src/main.ts` as in its container) in a child process, for tests of
// outages: it can hang (SIGSTOP), resume, die (SIGKILL) and come back on the same address.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildModel, defaultCacheDir, defaultModelDir } from '@sentiment/ml';

const mlRoot = fileURLToPath(new URL('../../ml/', import.meta.url));

export interface MlProcess {
  url: string;
  /** SIGSTOP: connections are still accepted, nothing is answered. */
  hang(): void;
  resume(): void;
  /** SIGKILL: connections are refused until restart. */
  kill(): Promise<void>;
  /** A new process on the same port, resolved once it listens (model loaded). */
  restart(): Promise<void>;
  /** Kills it for good (teardown). */
  close(): Promise<void>;
  /** What it printed, for a failing test's log. */
  output: string[];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startMlProcess(): Promise<MlProcess> {
  // The model is built once per machine (cached); the child only loads it, from the same place.
  const modelDir = defaultModelDir();
  await buildModel({
    modelDir,
    cacheDir: defaultCacheDir(),
    threads: availableParallelism(),
  });
  const output: string[] = [];
  let child: ChildProcess | undefined;

  const launch = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
        cwd: mlRoot,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PORT: String(port),
          ML_MODEL_DIR: modelDir,
          ML_THREADS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      let pending = '';
      c.stdout!.on('data', (d: Buffer) => {
        output.push(d.toString());
        pending += d.toString();
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.includes('ML service listening')) resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      c.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      c.once('exit', (code, signal) =>
        reject(new Error(`the ML process exited (${code ?? signal}) before listening: ${output.join('')}`)),
      );
    });

  const url = await launch(0);
  const port = Number(new URL(url).port);
  const signal = (s: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error('no ML process');
    child.kill(s);
  };
  const kill = async () => {
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  return {
    url,
    output,
    hang: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    kill,
    async restart() {
      await kill();
      await launch(port);
    },
    close: kill,
  };
}
