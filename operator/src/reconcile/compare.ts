// Whether the cluster already holds what we would apply. Server-side apply of an unchanged object is
// a no-op for etcd but still a write request; comparing first makes a steady-state resync send none.
// "Desired is a subset of live" tolerates what the API server adds (defaults, status, managedFields);
// a field we own that someone edited shows up as a difference, and the next apply restores it.
import { quantityValue } from '../synth/quantity.js';

function scalarEqual(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  const bothQuantities =
    (typeof desired === 'string' || typeof desired === 'number') &&
    (typeof live === 'string' || typeof live === 'number');
  if (!bothQuantities) return false;
  const a = quantityValue(desired);
  const b = quantityValue(live);
  return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9;
}

export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || desired === undefined) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]))
    );
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => isSubset(v, l[k]));
  }
  return scalarEqual(desired, live);
}

/** Canonical JSON (sorted keys), to compare two statuses regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return v;
  });
}
