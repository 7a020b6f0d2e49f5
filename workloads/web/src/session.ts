// The bearer token lives in sessionStorage: it survives a reload but not the closing of the tab, and it
// is never written to localStorage or a cookie. The API address it was issued by is kept beside it.
import type { Role } from './api';

const TOKEN = 'sentiment.token';
const ROLE = 'sentiment.role';
const API = 'sentiment.api';

export interface Session {
  token: string;
  role: Role;
  /** Base URL of the API that issued the token; '' is this page's own origin. */
  api: string;
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN);
}

/** Where requests of this session go: the API that issued its token. */
export function getApiBase(): string {
  return sessionStorage.getItem(API) ?? '';
}

/**
 * The stored session, if `allowed` still accepts its API: config.json may have changed since it was saved,
 * and a session for an API no longer allowed is dropped before any request goes there.
 */
export function getSession(allowed: (api: string) => boolean): Session | null {
  const token = sessionStorage.getItem(TOKEN);
  const role = sessionStorage.getItem(ROLE) as Role | null;
  if (!token || !role) return null;
  const api = getApiBase();
  if (!allowed(api)) {
    clearSession();
    return null;
  }
  return { token, role, api };
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(TOKEN, s.token);
  sessionStorage.setItem(ROLE, s.role);
  sessionStorage.setItem(API, s.api);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ROLE);
  sessionStorage.removeItem(API);
}

/** analyst and admin may upload; viewers only read. */
export function canUpload(role: Role): boolean {
  return role === 'analyst' || role === 'admin';
}
