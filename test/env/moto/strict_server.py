"""moto's server for the strict moto (IAM policies enforced), with S3's per-key Multi-Object Delete
authorization (s3_delete_authz.py) installed first."""

import sys

import s3_delete_authz
from moto.server import main

s3_delete_authz.install()
main(sys.argv[1:])
