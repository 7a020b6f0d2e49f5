// The command tables of the two CLIs (sentiment-operator, kubectl-sentiment): each command a module loaded
// lazily, so that a light command does not pay for what a heavy one imports.

export interface Command<M> {
  summary: string;
  load(): Promise<M>;
}

/** The top-level usage: the program, its commands with their summaries, and an optional last line. */
export function commandUsage(
  program: string,
  commands: Record<string, Command<unknown>>,
  footer = '',
): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: ${program} <command> [options]\n\ncommands:\n${lines.join('\n')}\n${footer ? `\n${footer}\n` : ''}`;
}
