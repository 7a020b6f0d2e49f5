"""ElastiCache RBAC for moto: the user-group operations moto 5.2 lacks, and the control plane behind them.

moto answers CreateUser/DescribeUsers/DeleteUser but not ModifyUser or the user-group API, and nothing it
stores reaches a Redis. This module adds CreateUserGroup, DescribeUserGroups, ModifyUserGroup,
DeleteUserGroup and ModifyUser to moto's ElastiCache handler (its own request parsing and serializer, in
the shapes of botocore's model), and a thread that does what ElastiCache does after such a call: the group
is `modifying` with its pending changes until the users of the group bound to the cluster are applied to
the test Redis through the ACL command only this control plane knows (the Redis renames it, as ElastiCache
refuses ACL to clients), then `active`. Settings come from the environment (test/env/up sets them):
  ELASTICACHE_REDIS_URL    rediss:// URL of the control user on the ElastiCache-like Redis
  ELASTICACHE_ACL_COMMAND  the name the Redis knows ACL by
  ELASTICACHE_USER_GROUP   the user group bound to that Redis (the replication group's UserGroupIds)
  ELASTICACHE_CA_FILE      CA of the Redis's certificate
"""

import os
import re
import threading
import time

import redis
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.elasticache.exceptions import ElastiCacheException, InvalidParameterValueException, UserNotFound
from moto.elasticache.models import elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse

# AWS: "Maximum number of users per user group: 100" (ElastiCache quotas).
MAX_USERS_PER_GROUP = 100
SYNC_INTERVAL_S = 0.5
REGION = os.environ.get("AWS_REGION", "us-east-1")


class UserGroupNotFound(ElastiCacheException):
    code = "UserGroupNotFound"

    def __init__(self, group_id: str):
        super().__init__(f"User group {group_id} not found.")


class UserGroupAlreadyExists(ElastiCacheException):
    code = "UserGroupAlreadyExists"

    def __init__(self, group_id: str):
        super().__init__(f"User group {group_id} already exists.")


class InvalidUserGroupState(ElastiCacheException):
    code = "InvalidUserGroupState"

    def __init__(self, group_id: str, status: str):
        super().__init__(f"User group {group_id} is not in active state: {status}.")


class DuplicateUserName(ElastiCacheException):
    code = "DuplicateUserName"

    def __init__(self, name: str):
        super().__init__(f"A user group cannot have two users named {name}.")


class DefaultUserRequired(ElastiCacheException):
    code = "DefaultUserRequired"

    def __init__(self):
        super().__init__("A user group must contain a user named default.")


class UserGroup:
    def __init__(self, group_id: str, engine: str, user_ids: list[str]):
        self.id = group_id
        self.engine = engine
        self.user_ids = user_ids
        self.status = "creating"
        self.pending_add: list[str] = []
        self.pending_remove: list[str] = []
        self.arn = f"arn:aws:elasticache:{REGION}:{DEFAULT_ACCOUNT_ID}:usergroup:{group_id}"

    def describe(self) -> dict:
        out = {
            "UserGroupId": self.id,
            "Status": self.status,
            "Engine": self.engine,
            "UserIds": list(self.user_ids),
            "MinimumEngineVersion": "6.0",
            "ReplicationGroups": [],
            "ARN": self.arn,
        }
        if self.pending_add or self.pending_remove:
            out["PendingChanges"] = {
                "UserIdsToAdd": list(self.pending_add),
                "UserIdsToRemove": list(self.pending_remove),
            }
        return out


LOCK = threading.Lock()
GROUPS: dict[str, UserGroup] = {}


def backend():
    return elasticache_backends[DEFAULT_ACCOUNT_ID][REGION]


def user(user_id: str):
    found = backend().users.get(user_id)
    if found is None:
        raise UserNotFound(user_id)
    return found


def group(group_id: str) -> UserGroup:
    found = GROUPS.get(group_id)
    if found is None:
        raise UserGroupNotFound(group_id)
    return found


def check_members(user_ids: list[str]) -> None:
    users = [user(u) for u in user_ids]
    if not any(u.name == "default" for u in users):
        raise DefaultUserRequired()
    names = [u.name for u in users]
    for name in names:
        if names.count(name) > 1:
            raise DuplicateUserName(name)
    if len(user_ids) > MAX_USERS_PER_GROUP:
        raise InvalidParameterValueException(
            f"A user group can have at most {MAX_USERS_PER_GROUP} users; this change would make {len(user_ids)}."
        )


def create_user_group(self) -> ActionResult:
    params = self._get_params()
    group_id = params.get("UserGroupId")
    user_ids = params.get("UserIds", [])
    with LOCK:
        if group_id in GROUPS:
            raise UserGroupAlreadyExists(group_id)
        check_members(user_ids)
        GROUPS[group_id] = UserGroup(group_id, params.get("Engine", "redis").lower(), [])
        GROUPS[group_id].pending_add = list(user_ids)
        return ActionResult(GROUPS[group_id].describe())


def describe_user_groups(self) -> ActionResult:
    group_id = self._get_params().get("UserGroupId")
    with LOCK:
        groups = [group(group_id)] if group_id else list(GROUPS.values())
        return ActionResult({"UserGroups": [g.describe() for g in groups]})


def modify_user_group(self) -> ActionResult:
    params = self._get_params()
    add = params.get("UserIdsToAdd", [])
    remove = params.get("UserIdsToRemove", [])
    with LOCK:
        g = group(params.get("UserGroupId"))
        if g.status != "active":
            raise InvalidUserGroupState(g.id, g.status)
        for u in add + remove:
            user(u)
        after = [u for u in g.user_ids if u not in remove] + [u for u in add if u not in g.user_ids]
        check_members(after)
        g.pending_add = [u for u in add if u not in g.user_ids]
        g.pending_remove = [u for u in remove if u in g.user_ids]
        g.status = "modifying"
        return ActionResult(g.describe())


def delete_user_group(self) -> ActionResult:
    with LOCK:
        g = group(self._get_params().get("UserGroupId"))
        g.status = "deleting"
        return ActionResult(g.describe())


def modify_user(self) -> ActionResult:
    params = self._get_params()
    with LOCK:
        u = user(params.get("UserId"))
        if params.get("AccessString"):
            u.access_string = params["AccessString"]
        passwords = (params.get("AuthenticationMode") or {}).get("Passwords") or params.get("Passwords")
        if passwords:
            if any(len(p) < 16 for p in passwords):
                raise InvalidParameterValueException("Passwords length must be between 16-128 characters.")
            u.passwords = list(passwords)
            u.no_password_required = False
        u.status = "modifying"
        # Like a group change, a changed member is re-applied by the control plane.
        for g in GROUPS.values():
            if u.id in g.user_ids and g.status == "active":
                g.status = "modifying"
        return ActionResult(u)


# botocore's UserId pattern, and what the ElastiCache documentation adds: no trailing or doubled hyphen.
USER_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*")


def create_user_checked(original):
    def create_user(self) -> ActionResult:
        user_id = self._get_params().get("UserId") or ""
        if not USER_ID.fullmatch(user_id) or user_id.endswith("-") or "--" in user_id:
            raise InvalidParameterValueException(
                f"Invalid UserId {user_id!r}: it must begin with a letter and contain only letters, digits and "
                "hyphens, without a trailing or two consecutive hyphens."
            )
        return original(self)

    return create_user


def delete_user_guarded(original):
    def delete_user(self) -> ActionResult:
        user_id = self._get_params().get("UserId")
        with LOCK:
            if user_id == "default":
                raise InvalidParameterValueException("The default user cannot be deleted.")
            for g in GROUPS.values():
                if user_id in g.user_ids or user_id in g.pending_add:
                    raise InvalidParameterValueException(
                        f"User {user_id} belongs to user group {g.id}: remove it from the group first."
                    )
            return original(self)

    return delete_user


def acl_setuser_args(u) -> list[str]:
    secrets = ["nopass"] if u.no_password_required else [f">{p}" for p in u.passwords]
    return ["SETUSER", u.name, "reset", *secrets, *u.access_string.split()]


def apply_pending() -> None:
    """One pass of the control plane: pending changes become membership; the bound group goes to the Redis."""
    bound = os.environ.get("ELASTICACHE_USER_GROUP")
    with LOCK:
        for g in list(GROUPS.values()):
            if g.status == "deleting":
                del GROUPS[g.id]
                continue
            if g.status in ("creating", "modifying"):
                g.user_ids = [u for u in g.user_ids if u not in g.pending_remove] + g.pending_add
                g.pending_add, g.pending_remove = [], []
        members = [backend().users[u] for u in GROUPS[bound].user_ids] if bound in GROUPS else None
        changed = [g for g in GROUPS.values() if g.status in ("creating", "modifying")]
    if members is not None:
        apply_to_redis(members)
    with LOCK:
        for g in changed:
            g.status = "active"
        for u in backend().users.values():
            if u.status == "modifying":
                u.status = "active"


# What the Redis was last given, by user name, and which server run it was (a restart forgets every user).
APPLIED: dict[str, list[str]] = {}
APPLIED_RUN: list[str] = [""]


def apply_to_redis(members) -> None:
    acl = os.environ["ELASTICACHE_ACL_COMMAND"]
    client = redis.Redis.from_url(
        os.environ["ELASTICACHE_REDIS_URL"], ssl_ca_certs=os.environ.get("ELASTICACHE_CA_FILE")
    )
    try:
        run = client.info("server")["run_id"]
        if run != APPLIED_RUN[0]:
            APPLIED.clear()
            APPLIED_RUN[0] = run
        me = client.execute_command(acl, "WHOAMI").decode()
        wanted = {u.name: acl_setuser_args(u) for u in members}
        for name, args in wanted.items():
            if APPLIED.get(name) != args:
                client.execute_command(acl, *args)
                APPLIED[name] = args
        for name in [n.decode() for n in client.execute_command(acl, "USERS")]:
            if name not in wanted and name not in (me, "default"):
                # Redis closes the removed user's connections, as ElastiCache does.
                client.execute_command(acl, "DELUSER", name)
                APPLIED.pop(name, None)
    finally:
        client.close()


def control_plane() -> None:
    while True:
        try:
            apply_pending()
        except Exception as err:  # the Redis may be restarting: the next pass applies everything again
            print(f"elasticache control plane: {err}", flush=True)
        time.sleep(SYNC_INTERVAL_S)


def install() -> None:
    ElastiCacheResponse.create_user_group = create_user_group
    ElastiCacheResponse.describe_user_groups = describe_user_groups
    ElastiCacheResponse.modify_user_group = modify_user_group
    ElastiCacheResponse.delete_user_group = delete_user_group
    ElastiCacheResponse.modify_user = modify_user
    ElastiCacheResponse.create_user = create_user_checked(ElastiCacheResponse.create_user)
    ElastiCacheResponse.delete_user = delete_user_guarded(ElastiCacheResponse.delete_user)
    if os.environ.get("ELASTICACHE_REDIS_URL"):
        threading.Thread(target=control_plane, name="elasticache-control-plane", daemon=True).start()
