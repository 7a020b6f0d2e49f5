// Logs are JSON lines on stdout (pino), one event each: what ran, on which key, how many bytes, how long.
import { pino, type Logger } from 'pino';

export function createLogger(command: string): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'sentiment-backup', command } });
}

/** An error as one line (a child's stderr tail has several). */
export function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' | ').trim();
}
