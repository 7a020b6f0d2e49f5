"""The ElastiCache users of the test environment, as the infra makes them, through moto's ElastiCache API.

usage: seed.py GROUP ADMIN_USER ADMIN_PASSWORD DEFAULT_PASSWORD (idempotent)
"""

import sys

import boto3

group, admin, admin_password, default_password = sys.argv[1:5]
ec = boto3.client("elasticache")


def ensure_user(user_id: str, name: str, access: str, password: str) -> None:
    try:
        ec.describe_users(UserId=user_id)
    except ec.exceptions.UserNotFoundFault:
        ec.create_user(
            UserId=user_id,
            UserName=name,
            Engine="redis",
            AccessString=access,
            AuthenticationMode={"Type": "password", "Passwords": [password]},
        )


# ElastiCache's own `default` user has no password and every permission: a group gets one of its own, off.
ensure_user(f"{group}-default", "default", "off -@all", default_password)
ensure_user(admin, admin, "on ~* &* +@all", admin_password)
try:
    ec.describe_user_groups(UserGroupId=group)
except ec.exceptions.UserGroupNotFoundFault:
    ec.create_user_group(UserGroupId=group, Engine="redis", UserIds=[f"{group}-default", admin])
