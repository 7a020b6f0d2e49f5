"""moto's server with the ElastiCache RBAC additions of elasticache_rbac.py installed first."""

import sys

import elasticache_rbac
from moto.server import main

elasticache_rbac.install()
main(sys.argv[1:])
