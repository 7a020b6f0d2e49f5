// Where the tenant API is. Served by the API itself (local mode), the app calls its own origin. In AWS one
// CloudFront distribution serves the app to every tenant, each tenant's API has its own host: the address
// comes from config.json next to index.html (one API pinned by whoever deploys) or from the login form
// (prefilled from `?api=` in the link, else the address last used in this browser).

const LAST_USED = 'sentiment.lastApi';

/** The API pinned by config.json, or null when there is none (the usual case). */
export async function loadPinnedApi(): Promise<string | null> {
  try {
    const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    // Hosts that answer unknown paths with the SPA shell (the API locally, CloudFront's error page) send HTML.
    if (!res.ok || !res.headers.get('content-type')?.includes('json')) return null;
    const { apiUrl } = (await res.json()) as { apiUrl?: unknown };
    return typeof apiUrl === 'string' && apiUrl !== '' ? normalizeApiUrl(apiUrl) : null;
  } catch {
    return null;
  }
}

/**
 * An API address as typed: '' stays '' (this page's own origin); otherwise an http(s) URL without query or
 * trailing slash, so paths append to it. Throws with a message fit for the form.
 */
export function normalizeApiUrl(input: string): string {
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

/** What the address field starts with: the link's `?api=`, else the last address signed in to here. */
export function initialApiUrl(): string {
  return new URLSearchParams(location.search).get('api') ?? localStorage.getItem(LAST_USED) ?? '';
}

/** Remembers a typed address for the next visit (not a secret: the token stays in sessionStorage). */
export function rememberApiUrl(url: string): void {
  if (url) localStorage.setItem(LAST_USED, url);
  else localStorage.removeItem(LAST_USED);
}
