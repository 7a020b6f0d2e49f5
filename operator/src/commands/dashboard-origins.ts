// --dashboard-origin, shared by `run` and `render`: the dashboard's origins that every tenant API allows
// (CORS_ORIGINS in each platform's ConfigMap). Repeatable or comma-separated; exact origins only, since
// browsers compare the Origin header byte for byte.
import { CommandError } from './manifests.js';

/** The origins of the flags, else of `env` (a comma list); throws a usage error for anything but an origin. */
export function dashboardOrigins(flags: readonly string[] = [], env?: string): string[] {
  const given = flags.length > 0 ? flags : env ? [env] : [];
  const origins = given
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of origins) {
    if (!URL.canParse(o) || new URL(o).origin !== o || !/^https?:/.test(o))
      throw new CommandError(
        `--dashboard-origin: "${o}" is not an exact http(s) origin (no path or trailing slash)`,
        2,
      );
  }
  return [...new Set(origins)];
}
