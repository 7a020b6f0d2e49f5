import { Redis } from 'ioredis';

/**
 * A Redis ACL user confined to the tenant's key and channel prefix. `-@dangerous` takes away
 * FLUSHALL, KEYS, CONFIG and the like; INFO and CLIENT SETNAME are given back because BullMQ uses them.
 * (ElastiCache manages users through its own API rather than ACL SETUSER; see docs/tenancy.md.)
 */
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
      'on',
      `>${password}`,
      `~${keyPrefix}*`,
      `&${keyPrefix}*`,
      '+@all',
      '-@dangerous',
      '+info',
      '+client|setname',
      '+client|getname',
    );
  });
}

export async function dropRedisTenant(adminUrl: string, user: string, keyPrefix: string): Promise<void> {
  await withRedis(adminUrl, async (redis) => {
    await redis.call('ACL', 'DELUSER', user);
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
