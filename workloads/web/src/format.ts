// Display helpers shared by pages: scores are in [-1, 1] (positive minus negative probability).
import type { Label } from './api';

export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? '—' : score.toFixed(2);
}

/** A breakdown's group: the API sends key null for the tickets without a value (no priority, status, …). */
export function formatGroupKey(key: string | null): string {
  return key ?? '(none)';
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Chart colours, each paired with a text label so colour is never the only cue. */
export const LABEL_COLORS: Record<Label, string> = {
  negative: '#c0392b',
  neutral: '#5f6b6d',
  positive: '#1e8449',
};
