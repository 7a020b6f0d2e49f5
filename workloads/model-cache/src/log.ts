// Logs are JSON lines on stdout (pino), one event each: which file, how many bytes, how long, how fast.
import { pino, type Logger } from 'pino';

export function createLogger(command: string): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { component: 'sentiment-model-cache', command },
  });
}

/** An error as one line. */
export function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' | ').trim();
}

/** Bytes over seconds as MB/s (10^6), the figure the per-file and total lines carry. */
export function rate(bytes: number, ms: number): { bytes: number; seconds: number; mbPerSecond: number } {
  const seconds = ms / 1000;
  return {
    bytes,
    seconds: Math.round(seconds * 100) / 100,
    mbPerSecond: seconds > 0 ? Math.round((bytes / 1e6 / seconds) * 10) / 10 : 0,
  };
}
