// Tenants' Redis users on ElastiCache with RBAC. ElastiCache answers ACL SETUSER from a client with an
// error: a user is made with its API (CreateUser, with the same access string a self-managed Redis gets
// through ACL) and reaches the cluster when it is added to the replication group's user group. A user
// group takes one change at a time (`modifying` until ElastiCache has applied it), so every change waits
// for the group to be `active`, before and after: the tenant's Secret is written once its user works.
import {
  CreateUserCommand,
  DeleteUserCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ModifyUserCommand,
  InvalidUserGroupStateFault,
  ModifyUserGroupCommand,
  UserNotFoundFault,
  type ElastiCacheClient,
  type User,
  type UserGroup,
} from '@aws-sdk/client-elasticache';
import { ExplainedError, awsCall, awsRefusal } from './failure.js';

export interface ElastiCacheUsersConfig {
  client: ElastiCacheClient;
  /** The user group of the shared replication group (the infra's, OPERATOR_REDIS_USER_GROUP_ID). */
  userGroupId: string;
  /** How long to wait for the group to finish a change, and how often to look (defaults: 60 s, 2 s). */
  settleTimeoutMs?: number;
  pollMs?: number;
}

export interface ElastiCacheTenantUser {
  userId: string;
  userName: string;
  password: string;
  accessString: string;
  /** The password is not the one the user was last given (a new tenant, or a lost Secret). */
  passwordChanged: boolean;
}

export async function ensureElastiCacheUser(
  config: ElastiCacheUsersConfig,
  tenant: ElastiCacheTenantUser,
): Promise<void> {
  const { client } = config;
  const authenticationMode = { Type: 'password' as const, Passwords: [tenant.password] };
  const user = await describeUser(client, tenant.userId);
  if (!user) {
    await refused('create the tenant user', () =>
      client.send(
        new CreateUserCommand({
          UserId: tenant.userId,
          UserName: tenant.userName,
          Engine: 'redis',
          AccessString: tenant.accessString,
          AuthenticationMode: authenticationMode,
        }),
      ),
    );
  } else if (user.AccessString !== tenant.accessString || tenant.passwordChanged) {
    // A changed member is applied to the cluster like a group change: wait for the group to settle after.
    await settled(config);
    await refused('update the tenant user', () =>
      client.send(
        new ModifyUserCommand({
          UserId: tenant.userId,
          AccessString: tenant.accessString,
          AuthenticationMode: authenticationMode,
        }),
      ),
    );
  }
  let group = await settled(config);
  if (!group.UserIds?.includes(tenant.userId)) {
    group = await changeGroup(config, 'add the tenant user to', { UserIdsToAdd: [tenant.userId] });
    if (!group.UserIds?.includes(tenant.userId))
      throw new ExplainedError(`user group ${config.userGroupId} settled without ${tenant.userId}`);
  }
}

/** Takes the user out of the group, then deletes it; a user that is gone already is fine. */
export async function dropElastiCacheUser(config: ElastiCacheUsersConfig, userId: string): Promise<void> {
  const group = await settled(config);
  if (group.UserIds?.includes(userId)) {
    await changeGroup(config, 'remove the tenant user from', { UserIdsToRemove: [userId] });
  }
  try {
    await config.client.send(new DeleteUserCommand({ UserId: userId }));
  } catch (err) {
    if (!(err instanceof UserNotFoundFault)) throw err;
  }
}

export async function elastiCacheUserExists(
  config: ElastiCacheUsersConfig,
  userId: string,
): Promise<boolean> {
  return (await describeUser(config.client, userId)) !== undefined;
}

async function describeUser(client: ElastiCacheClient, userId: string): Promise<User | undefined> {
  try {
    const out = await client.send(new DescribeUsersCommand({ UserId: userId }));
    // A user being deleted is on its way out: made anew, as if it were gone.
    return out.Users?.find((u) => u.UserId === userId && u.Status !== 'deleting');
  } catch (err) {
    if (err instanceof UserNotFoundFault) return undefined;
    throw err;
  }
}

/**
 * One membership change, applied: another reconcile's change may have started between our look and our
 * request (ElastiCache answers InvalidUserGroupState), so that one is waited for and ours sent again.
 */
async function changeGroup(
  config: ElastiCacheUsersConfig,
  what: string,
  change: { UserIdsToAdd?: string[]; UserIdsToRemove?: string[] },
): Promise<UserGroup> {
  for (;;) {
    try {
      await config.client.send(new ModifyUserGroupCommand({ UserGroupId: config.userGroupId, ...change }));
    } catch (err) {
      if (err instanceof InvalidUserGroupStateFault) {
        await settled(config);
        continue;
      }
      throw refusal(`${what} user group ${config.userGroupId}`, err);
    }
    return settled(config);
  }
}

/** The group once it is `active` (no change of anyone's in flight). */
async function settled(config: ElastiCacheUsersConfig): Promise<UserGroup> {
  const timeoutMs = config.settleTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await config.client.send(new DescribeUserGroupsCommand({ UserGroupId: config.userGroupId }));
    const group = out.UserGroups?.[0];
    if (!group) throw new ExplainedError(`user group ${config.userGroupId} not found`);
    if (group.Status === 'active') return group;
    if (Date.now() >= deadline)
      throw new ExplainedError(
        `user group ${config.userGroupId} is still ${group.Status} after ${timeoutMs / 1000} s (another change is being applied); will retry`,
      );
    await new Promise((r) => setTimeout(r, config.pollMs ?? 2_000));
  }
}

/** Runs an ElastiCache write; a refusal becomes an error that says what was being done and why it failed. */
const refused = <T>(what: string, fn: () => Promise<T>): Promise<T> => awsCall('ElastiCache', what, fn);
const refusal = (what: string, err: unknown): Error => awsRefusal('ElastiCache', what, err);
