import { Redis } from 'ioredis';

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
      `>${password}`,
      ...redisAccessString(keyPrefix).split(' '),
    );
  });
}

/** Removes the tenant's ACL user (self-managed Redis), then its keys. */
export async function dropRedisTenant(adminUrl: string, user: string, keyPrefix: string): Promise<void> {
  await withRedis(adminUrl, (redis) => redis.call('ACL', 'DELUSER', user));
  await deleteRedisKeys(adminUrl, keyPrefix);
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

export async function redisTenantExists(adminUrl: string, user: string): Promise<boolean> {
  return withRedis(adminUrl, async (redis) => {
    const users = (await redis.call('ACL', 'USERS')) as string[];
    return users.includes(user);
  });
}

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}
