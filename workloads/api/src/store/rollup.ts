// Ticket roll-up: the latest comments speak for the ticket's current mood, so each comment's
// score (positive - negative probability, in [-1, 1]) is weighted by recency; the trend compares
// the later half of the conversation with the earlier half.

export type Trend = 'improving' | 'declining' | 'stable' | 'volatile';

export interface RollupOptions {
  /** Only the last N comments count (older ones describe a state that has moved on). */
  window: number;
  /** Weight multiplier per step back in time: the newest weighs 1, the one before `decay`, ... */
  decay: number;
  /** Half-to-half change in mean score that counts as a real move. */
  trendThreshold: number;
  /** Standard deviation of consecutive changes above which the ticket is volatile. */
  volatility: number;
}

export const DEFAULT_ROLLUP: RollupOptions = { window: 5, decay: 0.7, trendThreshold: 0.25, volatility: 0.8 };

export interface Rollup {
  score: number | null;
  trend: Trend;
}

/** `scores` are in chronological order. */
export function rollUp(scores: readonly number[], options: RollupOptions = DEFAULT_ROLLUP): Rollup {
  if (scores.length === 0) return { score: null, trend: 'stable' };
  const recent = scores.slice(-options.window);
  let weighted = 0;
  let total = 0;
  recent.forEach((s, i) => {
    const w = options.decay ** (recent.length - 1 - i);
    weighted += s * w;
    total += w;
  });
  return { score: weighted / total, trend: trendOf(scores, options) };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function trendOf(scores: readonly number[], o: RollupOptions): Trend {
  if (scores.length < 2) return 'stable';
  const steps = scores.slice(1).map((s, i) => s - (scores[i] as number));
  const m = mean(steps);
  const sd = Math.sqrt(mean(steps.map((d) => (d - m) ** 2)));
  // Swings back and forth with no net direction are what "volatile" means; a steady climb has low sd.
  if (steps.length >= 2 && sd > o.volatility) return 'volatile';
  const half = Math.floor(scores.length / 2);
  const delta = mean(scores.slice(half)) - mean(scores.slice(0, half));
  if (delta > o.trendThreshold) return 'improving';
  if (delta < -o.trendThreshold) return 'declining';
  return 'stable';
}
