// Where the tenant API is. Served by the API itself (local mode), the app calls its own origin. In AWS one
// CloudFront distribution serves the app to every tenant, each tenant's API has its own host: config.json
// next to index.html (written by the infra's Frontend stack) lists the API origins this dashboard may talk
// to, and may pin one API. Without a pin the address comes from the login form (prefilled from `?api=` in
// the link, else the address last used in this browser). Anything but this site, the pinned API or a listed
// origin is refused before a request is made: a crafted link must not make the real dashboard send a
// password elsewhere.

const LAST_USED = 'sentiment.lastApi';

/** What config.json allows. */
export interface ApiPolicy {
  /** The API pinned by config.json, or null when there is none (the usual case). */
  readonly pinned: string | null;
  /** config.json's `apiOrigins` that are well formed: exact origins and `https://*.<domain>` patterns. */
  readonly origins: readonly string[];
}

/** No config.json: this site's own origin only (local mode, the dev server). */
export const SAME_ORIGIN_ONLY: ApiPolicy = { pinned: null, origins: [] };

// Plain http leaks the password to the network; only this machine (local runs, tests) is exempt.
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const WILDCARD = 'https://*.';

/** Loads config.json; a missing one (hosts that answer with the SPA shell send HTML) allows this site only. */
export async function loadApiPolicy(): Promise<ApiPolicy> {
  let config: unknown;
  try {
    const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (!res.ok || !res.headers.get('content-type')?.includes('json')) return SAME_ORIGIN_ONLY;
    config = await res.json();
  } catch {
    return SAME_ORIGIN_ONLY;
  }
  const { policy, problems } = parseApiPolicy(config);
  // Whoever deploys reads this; the entries named are left out, so the dashboard errs on refusing.
  for (const problem of problems) console.error(`config.json: ${problem}`);
  return policy;
}

/** config.json's `{ apiUrl?, apiOrigins? }` as a policy, with what had to be left out and why. */
export function parseApiPolicy(config: unknown): { policy: ApiPolicy; problems: string[] } {
  const { apiUrl, apiOrigins } = (config ?? {}) as { apiUrl?: unknown; apiOrigins?: unknown };
  const problems: string[] = [];
  let pinned: string | null = null;
  if (typeof apiUrl === 'string' && apiUrl !== '') {
    try {
      pinned = normalizeApiUrl(apiUrl);
      refusePlainHttp(new URL(pinned));
    } catch (err) {
      pinned = null;
      problems.push(`apiUrl: ${(err as Error).message}`);
    }
  }
  const origins: string[] = [];
  if (apiOrigins !== undefined && !Array.isArray(apiOrigins))
    problems.push('apiOrigins is not a list of origins');
  for (const entry of Array.isArray(apiOrigins) ? (apiOrigins as unknown[]) : []) {
    if (typeof entry === 'string' && isOriginPattern(entry)) origins.push(entry);
    else
      problems.push(
        `apiOrigins: ${JSON.stringify(entry)} is neither an https origin, https://*.<domain> nor a loopback http origin`,
      );
  }
  return { policy: { pinned, origins }, problems };
}

/** An exact origin (https, or http on loopback), or `https://*.<domain>` with at least two labels. */
function isOriginPattern(entry: string): boolean {
  if (entry.startsWith(WILDCARD)) {
    const domain = entry.slice(WILDCARD.length);
    // The URL parser says whether it is a plain host name: lower case, no port, path or odd characters.
    const probe = URL.canParse(`https://x.${domain}`) ? new URL(`https://x.${domain}`) : null;
    return probe?.hostname === `x.${domain}` && domain.includes('.');
  }
  if (!URL.canParse(entry)) return false;
  const url = new URL(entry);
  return (
    url.origin === entry &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
  );
}

/** Whether `url` is one `pattern` allows. A wildcard is a host suffix on a dot boundary, default port, as in CSP. */
function matches(url: URL, pattern: string): boolean {
  if (pattern.startsWith(WILDCARD))
    return (
      url.protocol === 'https:' &&
      url.port === '' &&
      url.hostname.endsWith(pattern.slice(WILDCARD.length - 1))
    );
  return url.origin === pattern;
}

function refusePlainHttp(url: URL): void {
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname))
    throw new Error(
      `${url.origin} is refused: the API address starts with https:// (plain http only on this machine)`,
    );
}

/**
 * An API address as typed: '' stays '' (this page's own origin); otherwise an http(s) URL without query or
 * trailing slash, so paths append to it. Throws with a message fit for the form.
 */
function normalizeApiUrl(input: string): string {
  const value = input.trim();
  if (value === '') return '';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not an address; it starts with https://`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error('the API address starts with https://');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The address to sign in to, normalized, if `policy` allows it: this site (`here`), the pinned API, or an
 * origin config.json lists; plain http only on loopback. Throws with a message fit for the form otherwise.
 */
export function checkApiUrl(input: string, policy: ApiPolicy, here: string = location.origin): string {
  const base = normalizeApiUrl(input);
  if (base === '') return '';
  const url = new URL(base);
  if (url.origin === here || (policy.pinned !== null && url.origin === new URL(policy.pinned).origin))
    return base;
  refusePlainHttp(url);
  if (!policy.origins.some((pattern) => matches(url, pattern))) {
    const allowed =
      policy.origins.length > 0 ? `this site and ${policy.origins.join(', ')}` : 'this site only';
    throw new Error(
      `${url.origin} is not an API this dashboard may use (it allows ${allowed}), so nothing was sent to it. ` +
        'Check the address with your administrator.',
    );
  }
  return base;
}

/** Whether requests may go to `base` ('' is this site): a stored session is checked again on every load. */
export function isAllowedApi(base: string, policy: ApiPolicy): boolean {
  try {
    return checkApiUrl(base, policy) === base;
  } catch {
    return false;
  }
}

/**
 * What the address field starts with: the link's `?api=`, else the last address signed in to here, and
 * why it is refused, if it is. A remembered address no longer allowed is forgotten.
 */
export function initialApiUrl(policy: ApiPolicy): { value: string; error: string | null } {
  const linked = new URLSearchParams(location.search).get('api');
  const value = linked ?? localStorage.getItem(LAST_USED) ?? '';
  try {
    checkApiUrl(value, policy);
    return { value, error: null };
  } catch (err) {
    if (linked === null) localStorage.removeItem(LAST_USED);
    return { value, error: (err as Error).message };
  }
}

/** Remembers an address signed in to, for the next visit (not a secret: the token stays in sessionStorage). */
export function rememberApiUrl(url: string): void {
  if (url) localStorage.setItem(LAST_USED, url);
  else localStorage.removeItem(LAST_USED);
}
