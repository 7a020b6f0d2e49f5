// Just enough of Kubernetes' quantity grammar to add up requests for the tenant's ResourceQuota.
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The value of a quantity in base units (cores, bytes). */
export function parseQuantity(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`not a Kubernetes quantity: ${q}`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}

/** Cores as a quantity in whole millicores, e.g. 2.5 → "2500m". */
export const cpuQuantity = (cores: number): string => `${Math.ceil(cores * 1000)}m`;

/** Bytes as a quantity in whole mebibytes, e.g. 1.5 GiB → "1536Mi". */
export const memoryQuantity = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20)}Mi`;
