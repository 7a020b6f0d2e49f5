// The bearer token lives in sessionStorage: it survives a reload but not the closing of the tab, and it
// is never written to localStorage or a cookie.
import type { Role } from './api';

const TOKEN = 'sentiment.token';
const ROLE = 'sentiment.role';

export interface Session {
  token: string;
  role: Role;
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN);
}

export function getSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN);
  const role = sessionStorage.getItem(ROLE) as Role | null;
  return token && role ? { token, role } : null;
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(TOKEN, s.token);
  sessionStorage.setItem(ROLE, s.role);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(ROLE);
}

/** analyst and admin may upload; viewers only read. */
export function canUpload(role: Role): boolean {
  return role === 'analyst' || role === 'admin';
}
