#!/usr/bin/env node
// kubectl-sentiment: the kubectl plugin (kubectl runs `kubectl-sentiment` from PATH for `kubectl sentiment`).
// A table of commands, each a module of ./ exporting HELP and run(argv) → exit code, loaded lazily so that
// `status` does not pay for the synth that `describe` needs.
import { commandUsage, type Command } from '../commands/command-table.js';
import { CommandError } from '../commands/manifests.js';
import { KubeApiError } from '../kube/raw.js';

const COMMANDS: Record<string, Command<{ HELP: string; run(argv: string[]): Promise<number> }>> = {
  status: {
    summary: 'phase, readiness, replicas, cost, switches and last error of SentimentPlatforms',
    load: () => import('./status.js'),
  },
  describe: {
    summary: 'what the operator would change for one SentimentPlatform (create, update, prune)',
    load: () => import('./describe.js'),
  },
  cost: {
    summary: 'monthly cost per tenant, awake and hibernated, and the fleet total',
    load: () => import('./cost.js'),
  },
};

const usage = (): string =>
  commandUsage(
    'kubectl sentiment',
    COMMANDS,
    '"kubectl sentiment <command> --help" for a command\'s options.',
  );

/** An error the user can act on (exit 1), as opposed to a bug, which keeps its stack trace. */
function apiError(err: unknown): err is Error {
  // KubeApiError carries the server's message; a string code is a system error (ECONNREFUSED, ENOTFOUND).
  return (
    err instanceof KubeApiError ||
    (err instanceof Error && typeof (err as { code?: unknown }).code === 'string')
  );
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`kubectl sentiment: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  try {
    return await module.run(rest);
  } catch (err) {
    if (err instanceof CommandError) {
      process.stderr.write(
        `kubectl sentiment ${name}: ${err.message}\n${err.exitCode === 2 ? `\n${module.HELP}` : ''}`,
      );
      return err.exitCode;
    }
    if (!apiError(err)) throw err;
    process.stderr.write(`kubectl sentiment ${name}: ${err.message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
