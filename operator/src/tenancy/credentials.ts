// Tenants' connection URLs: the operator's admin URL of a service, its host and port kept, with the
// tenant's own user and password in place of the admin's.
import { randomBytes } from 'node:crypto';

export function withCredentials(adminUrl: string, user: string, password: string): URL {
  const url = new URL(adminUrl);
  url.username = user;
  url.password = password;
  return url;
}

/** The password in a URL the operator wrote to the tenant's Secret earlier, else a new random one. */
export function passwordFrom(url: string | undefined): string {
  if (url) {
    const password = decodeURIComponent(new URL(url).password);
    if (password) return password;
  }
  return randomBytes(24).toString('base64url');
}
