// How EKS Fargate sizes (and bills) a pod: the pod's requests plus 256 MiB for the kubelet, kube-proxy and
// containerd, rounded up to the smallest valid vCPU/memory combination.
// https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html

/** Valid Fargate combinations: vCPU → allowed memory sizes in GiB. */
const CONFIGS: readonly (readonly [number, readonly number[]])[] = [
  [0.25, [0.5, 1, 2]],
  [0.5, [1, 2, 3, 4]],
  [1, range(2, 8, 1)],
  [2, range(4, 16, 1)],
  [4, range(8, 30, 1)],
  [8, range(16, 60, 4)],
  [16, range(32, 120, 8)],
];

/** Memory Fargate adds to every pod for its Kubernetes components. */
export const FARGATE_POD_OVERHEAD_GIB = 0.25;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export interface FargateSize {
  readonly vcpu: number;
  readonly memGiB: number;
}

/** The configuration Fargate provisions for a pod requesting `cpu` cores and `memGiB` GiB. */
export function fargatePodSize(cpu: number, memGiB: number): FargateSize {
  const needMem = memGiB + FARGATE_POD_OVERHEAD_GIB;
  for (const [vcpu, mems] of CONFIGS) {
    if (vcpu < cpu) continue;
    const mem = mems.find((m) => m >= needMem);
    if (mem !== undefined) return { vcpu, memGiB: mem };
  }
  throw new Error(`no Fargate configuration fits ${cpu} vCPU / ${memGiB} GiB (max 16 vCPU / 120 GiB)`);
}
