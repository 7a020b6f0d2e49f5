// Which SentimentPlatform a tenant's slice of a shared data service belongs to. A tenant id is a hash of
// namespace/name (with a slug, under the named scheme) that no one finds a second input for; each slice
// still carries an owner record — a digest of the
// platform's namespace/name and its uid, in the service itself (a role comment, a Redis key only the
// operator's user reaches, an internal user's attributes) — and the operator never adopts, re-keys or
// drops a slice whose record names another platform. A digest, because every Postgres role can read every
// role's comment: the readable namespace/name would tell tenants who the others are.
import { platformDigest, type TenantNaming } from '@sentiment/crds';
import { ExplainedError } from './failure.js';

/** The platform that asks for a slice. */
export interface TenantRef {
  namespace: string;
  name: string;
  uid: string;
  /** How its slices are named (tenantNaming() of the platform); opaque when unset. */
  naming?: TenantNaming;
}

export interface OwnerRecord {
  /** `sha256:<platformDigest()>` of the owning platform; earlier builds wrote namespace/name. */
  platform: string;
  uid: string;
  /** Kept on delete (retainOnDelete): the next platform of the same namespace/name may take it over. */
  retained?: boolean;
}

const KEY = 'sentiment.analytics.dev/platform';

const recordedPlatform = (tenant: TenantRef) => `sha256:${platformDigest(tenant.namespace, tenant.name)}`;

/** Whether a record names this namespace/name, in today's form or in the readable one of older operators. */
const namesPlatform = (record: OwnerRecord, tenant: TenantRef) =>
  record.platform === recordedPlatform(tenant) || record.platform === `${tenant.namespace}/${tenant.name}`;

export function ownerRecord(tenant: TenantRef, retained = false): string {
  return JSON.stringify({
    [KEY]: recordedPlatform(tenant),
    uid: tenant.uid,
    ...(retained && { retained: true }),
  });
}

/** The record in a service's text field; undefined when there is none (or it is not ours). */
export function parseOwnerRecord(text: string | null | undefined): OwnerRecord | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o[KEY] !== 'string' || typeof o.uid !== 'string') return undefined;
    return { platform: o[KEY], uid: o.uid, ...(o.retained === true && { retained: true }) };
  } catch {
    return undefined;
  }
}

/** Whether `tenant` may use (and re-record) a slice that exists with `record`. */
export function mayAdopt(record: OwnerRecord | undefined, tenant: TenantRef): boolean {
  return (
    record !== undefined &&
    namesPlatform(record, tenant) &&
    (record.uid === tenant.uid || record.retained === true)
  );
}

/** Whether `tenant` may drop a slice: only its own, never one retained for a later platform or another's. */
export function mayDrop(record: OwnerRecord | undefined, tenant: TenantRef): boolean {
  return record !== undefined && namesPlatform(record, tenant) && record.uid === tenant.uid;
}

/** A slice exists that this platform may not take: reported as TenantIdConflict, never retried hot. */
export class TenantConflictError extends ExplainedError {}

export function conflict(what: string, record: OwnerRecord | undefined): TenantConflictError {
  return new TenantConflictError(
    record
      ? `${what} belongs to another SentimentPlatform (uid ${record.uid}${record.retained ? ', retained on delete' : ''}), not to this one: their tenant ids collide. It is left as it is; rename this platform or delete the other`
      : `${what} exists but has no owner record (made outside the operator, or left by an older version); it is not adopted: delete it, or record this platform as its owner (docs/operator.md, "Tenant ownership")`,
  );
}
