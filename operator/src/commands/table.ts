// Tables and amounts as the CLIs print them (`sentiment-operator cost`, the kubectl plugin): each column
// as wide as its widest cell, two spaces apart, as kubectl does.
import { cents } from '../cost/index.js';

/** Right-aligned columns are given by index (money). */
export function formatTable(header: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** USD a month as `cost` prints it; `-` for none. */
export const money = (n: number | null | undefined): string =>
  n === null || n === undefined ? '-' : `$${cents(n).toFixed(2)}`;

/** A message on one line: status messages may hold newlines. */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
