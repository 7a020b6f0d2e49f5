// Kubernetes quantities (resource.Quantity), in one place: their value, for adding up requests (synth's
// quota, the cost model) and comparing desired with live (the reconcile loop); and the API server's
// canonical spelling, which synth writes so that a read-back compares equal.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const GRAMMAR = /^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/;

/** The value of a quantity ("500m", "1Gi", "2", "1e3") in base units (cores, bytes), or undefined if it is not one. */
export function quantityValue(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const m = GRAMMAR.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * BINARY[suffix]!;
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * DECIMAL[suffix]!;
}

/** The value of a quantity the spec or synth wrote (admission checked its grammar); throws if it is none. */
export function parseQuantity(q: string): number {
  const value = quantityValue(q);
  if (value === undefined) throw new Error(`not a Kubernetes quantity: ${q}`);
  return value;
}

/** Cores as a quantity in whole millicores, e.g. 2.5 → "2500m". */
export const cpuQuantity = (cores: number): string => `${Math.ceil(cores * 1000)}m`;

/** Bytes as a quantity in whole mebibytes, e.g. 1.5 GiB → "1536Mi". */
export const memoryQuantity = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20)}Mi`;

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: [string, number][] = [
  ['E', 18],
  ['P', 15],
  ['T', 12],
  ['G', 9],
  ['M', 6],
  ['k', 3],
  ['', 0],
  ['m', -3],
];

/** Kubernetes' canonical spelling of a quantity (resource.Quantity.String()). */
export function canonicalQuantity(q: string): string {
  const value = parseQuantity(q);
  const binary = /[KMGTPE]i$/.test(q);
  // Binary quantities stay binary when they are whole bytes of at least 1Ki; the server rewrites the rest as decimal.
  if (binary && Number.isInteger(value) && Math.abs(value) >= 1024) {
    let exp = 0;
    let n = value;
    while (n % 1024 === 0 && exp < BINARY_SUFFIXES.length - 1) {
      n /= 1024;
      exp++;
    }
    return `${n}${BINARY_SUFFIXES[exp]}`;
  }
  // Decimal: the largest power of 1000 that leaves a whole mantissa; below a milli-unit, round up (as the server does).
  const millis = Math.ceil(Math.round(value * 1e6) / 1e3);
  if (millis === 0) return '0';
  for (const [suffix, exp] of DECIMAL_SUFFIXES) {
    const scale = 10 ** (exp + 3);
    if (millis % scale === 0) return `${millis / scale}${suffix}`;
  }
  return `${millis}m`;
}
