// Highlights travel as private-use sentinel characters, never HTML: the engines mark matches with
// them, and toSegments turns each fragment into {text, match} runs that a client renders as it likes
// (no markup to escape, no injection through ticket text).
import type { Fragment } from './backend.js';

export const MATCH_START = '\uE000';
export const MATCH_END = '\uE001';
/** Separates ts_headline's fragments (MaxFragments > 1) inside one returned string. */
export const FRAGMENT_BREAK = '\uE002';

const SENTINELS = /[\uE000-\uE002]/g;

/** Ticket text could itself contain the sentinels; removed before the engines see it. */
export function stripSentinels(text: string): string {
  return text.replace(SENTINELS, '');
}

/** Splits a marked fragment into runs; adjacent matches (`<a> <b>`) stay separate runs. */
export function toSegments(fragment: string): Fragment {
  const out: Fragment = [];
  let match = false;
  let text = '';
  const push = () => {
    if (text) out.push({ text, match });
    text = '';
  };
  for (const ch of fragment) {
    if (ch === MATCH_START || ch === MATCH_END) {
      push();
      match = ch === MATCH_START;
    } else text += ch;
  }
  push();
  return out;
}

/** Fragments with at least one match; an engine may return the head of a field that has none. */
export function matchedFragments(fragments: readonly string[]): Fragment[] {
  return fragments.map(toSegments).filter((segs) => segs.some((s) => s.match));
}
