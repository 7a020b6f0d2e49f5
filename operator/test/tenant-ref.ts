import type { TenantRef } from '../src/tenancy/ownership.js';

/** A platform as the provisioner sees it; the uid stands for the one the API server gave it. */
export const tenantRef = (namespace: string, name: string, uid = `uid-${namespace}-${name}`): TenantRef => ({
  namespace,
  name,
  uid,
});
