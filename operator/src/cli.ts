#!/usr/bin/env node
// sentiment-operator <command> [args]: a table of commands, each a module in ./commands exporting
// run(argv) → exit code. Modules load lazily so `render` does not pay for what `run` needs.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { commandUsage, type Command } from './commands/command-table.js';

const COMMANDS: Record<string, Command<{ run(argv: string[]): Promise<number> }>> = {
  render: {
    summary: 'print the Kubernetes objects of SentimentPlatform manifests (-f FILE)',
    load: () => import('./commands/render.js'),
  },
  cost: {
    summary: 'estimated monthly cost of SentimentPlatform manifests (-f FILE)',
    load: () => import('./commands/cost.js'),
  },
  crd: {
    summary: 'print the SentimentPlatform CustomResourceDefinition',
    load: () => import('./commands/crd.js'),
  },
  fleet: {
    summary: "where the rollout of the operator's template stands (status), and resuming it (resume)",
    load: () => import('./commands/fleet.js'),
  },
  run: {
    summary: 'run the operator (in-cluster or against KUBECONFIG)',
    load: () => import('./commands/run.js'),
  },
};

const usage = (): string => commandUsage('sentiment-operator', COMMANDS);

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`sentiment-operator: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

// Run only as the entry point, so tests can import main().
// npx runs it through a symlink in node_modules/.bin, hence the realpath.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
