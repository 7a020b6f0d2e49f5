// CPU time by process group, read from /proc: where the cores went during an ingest run (the bench's own
// process holds the API and the ML service; the worker is its child; the data services run on the host).
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the tests run on (sysconf(_SC_CLK_TCK) is not reachable from Node).
const TICKS_PER_S = 100;

export type CpuGroups = Record<string, number>;

/** CPU seconds (user + system) so far of each group: `pids` by pid, the rest by command name. */
export function cpuSeconds(pids: Record<string, number>, byCommand: Record<string, string>): CpuGroups {
  const out: CpuGroups = Object.fromEntries(
    [...Object.keys(pids), ...Object.keys(byCommand)].map((g) => [g, 0]),
  );
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ..." — comm may hold spaces, so fields are counted after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    const pid = Number(entry);
    const group =
      Object.keys(pids).find((g) => pids[g] === pid) ??
      Object.keys(byCommand).find((g) => comm === byCommand[g]);
    if (group) out[group]! += seconds;
  }
  return out;
}

export const cpuBetween = (before: CpuGroups, after: CpuGroups): CpuGroups =>
  Object.fromEntries(Object.entries(after).map(([g, s]) => [g, s - (before[g] ?? 0)]));
