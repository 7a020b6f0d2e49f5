"""The administrator of the strict moto (one that enforces IAM policies): its first requests go unsigned, as
INITIAL_NO_AUTH_ACTION_COUNT allows, and make a user allowed every action and that user's keys; every request
after them must be signed by a key moto knows and be allowed by its policies.

usage: strict_admin.py ENDPOINT_URL (prints ACCESS_KEY_ID SECRET_ACCESS_KEY)
"""

import json
import sys

import boto3

iam = boto3.client(
    "iam",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="bootstrap",
    aws_secret_access_key="bootstrap",
)
iam.create_user(UserName="admin")
iam.put_user_policy(
    UserName="admin",
    PolicyName="everything",
    PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    ),
)
key = iam.create_access_key(UserName="admin")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
