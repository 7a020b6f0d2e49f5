import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { conflict, mayAdopt, mayDrop, ownerRecord, parseOwnerRecord, type TenantRef } from './ownership.js';

/** Where a tenant user's owner record lives: outside every tenant's key pattern (`t_…:*`), so only the operator reaches it. */
const ownerKey = (user: string) => `sentiment:owner:${user}`;

/**
 * What a tenant's Redis user may do, as one access string in the grammar both `ACL SETUSER` and
 * ElastiCache's CreateUser (AccessString) take: its key and channel prefix only; `-@dangerous` takes away
 * FLUSHALL, KEYS, CONFIG and the like; commands that are not dangerous but see the whole keyspace or other
 * databases (SCAN, RANDOMKEY, SELECT, MOVE, SWAPDB, PUBSUB CHANNELS/NUMSUB) are taken away too, since key
 * patterns do not filter what they return; INFO and CLIENT SETNAME/GETNAME are given back for BullMQ.
 */
export function redisAccessString(keyPrefix: string): string {
  return [
    'on',
    `~${keyPrefix}*`,
    `&${keyPrefix}*`,
    '+@all',
    '-@dangerous',
    '-scan',
    '-randomkey',
    '-select',
    '-move',
    '-swapdb',
    '-pubsub',
    '+info',
    '+client|setname',
    '+client|getname',
  ].join(' ');
}

/** The tenant's user on a self-managed Redis (ElastiCache refuses ACL commands: see elasticache-users.ts). */
export async function ensureRedisTenant(
  adminUrl: string,
  user: string,
  password: string,
  keyPrefix: string,
): Promise<void> {
  await withRedis(adminUrl, async (redis) => {
    await redis.call(
      'ACL',
      'SETUSER',
      user,
      'reset',
      // The password's SHA-256, not the password: the command can show up in SLOWLOG or MONITOR.
      `#${createHash('sha256').update(password).digest('hex')}`,
      ...redisAccessString(keyPrefix).split(' '),
    );
  });
}

/** Removes the tenant's ACL user (self-managed Redis); Redis closes its connections. */
export async function dropRedisUser(adminUrl: string, user: string): Promise<void> {
  await withRedis(adminUrl, (redis) => redis.call('ACL', 'DELUSER', user));
}

/**
 * Claims the tenant's Redis user for this platform before it is created or re-keyed: a user recorded for
 * another platform, or one that exists with no record at all, is refused (TenantConflictError).
 */
export async function claimRedisTenant(
  adminUrl: string,
  tenant: TenantRef,
  user: string,
  userExists: () => Promise<boolean>,
): Promise<void> {
  await withRedis(adminUrl, async (redis) => {
    for (;;) {
      const text = await redis.get(ownerKey(user));
      if (text === null) {
        if (await userExists()) throw conflict(`the Redis user ${user}`, undefined);
        // NX: of two operators claiming at once, one wins and the other reads its record next time round.
        if (await redis.set(ownerKey(user), ownerRecord(tenant), 'NX')) return;
        continue;
      }
      const owner = parseOwnerRecord(text);
      if (!mayAdopt(owner, tenant)) throw conflict(`the Redis user ${user}`, owner);
      await redis.set(ownerKey(user), ownerRecord(tenant));
      return;
    }
  });
}

/** Whether this platform may drop the Redis user (its own, or nobody's because it is gone). */
export async function mayDropRedisTenant(
  adminUrl: string,
  tenant: TenantRef,
  user: string,
  userExists: () => Promise<boolean>,
): Promise<boolean> {
  const text = await withRedis(adminUrl, (redis) => redis.get(ownerKey(user)));
  if (text === null) return !(await userExists());
  return mayDrop(parseOwnerRecord(text), tenant);
}

/** Forgets the owner record once the user is gone. */
export async function forgetRedisOwner(adminUrl: string, user: string): Promise<void> {
  await withRedis(adminUrl, (redis) => redis.del(ownerKey(user)));
}

/** Marks this platform's user as kept for the next platform of the same namespace/name (retainOnDelete). */
export async function releaseRedisTenant(adminUrl: string, tenant: TenantRef, user: string): Promise<void> {
  await withRedis(adminUrl, async (redis) => {
    if (mayDrop(parseOwnerRecord(await redis.get(ownerKey(user))), tenant))
      await redis.set(ownerKey(user), ownerRecord(tenant, true));
  });
}

/** Every key under the tenant's prefix, with the admin connection (ElastiCache allows SCAN and UNLINK). */
export async function deleteRedisKeys(adminUrl: string, keyPrefix: string): Promise<void> {
  await withRedis(adminUrl, async (redis) => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  });
}

/** Whether the tenant's ACL user exists (self-managed Redis). */
export async function redisTenantExists(adminUrl: string, user: string): Promise<boolean> {
  return withRedis(adminUrl, async (redis) => {
    const users = (await redis.call('ACL', 'USERS')) as string[];
    return users.includes(user);
  });
}

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  // A one-shot connection: no reconnecting in the background (a refused AUTH would be retried, and
  // reported as unhandled, until disconnect), and a failed connect throws the server's reason (WRONGPASS,
  // which the caller answers by reading rotated credentials again), not ioredis' "Connection is closed".
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  let reason: Error | undefined;
  redis.on('error', (err: Error) => (reason = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw reason ?? err;
  }
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}
