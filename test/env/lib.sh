# Shared settings of the test environment scripts (sourced, not run).
# Everything listens on loopback or on the node's private link (below); builds and downloads are cached
# outside the repo.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE="${SENTIMENT_CACHE:-$HOME/.cache/sentiment-platform}"
# OpenSearch refuses to run as root, so its distribution lives where an unprivileged user can read it.
SHARED_CACHE="${SENTIMENT_SHARED_CACHE:-/var/cache/sentiment-platform}"
STATE="${SENTIMENT_STATE:-/tmp/sentiment-testenv}"
ETCD_DATA="/dev/shm/sentiment-testenv-etcd"
ENV_FILE="${SENTIMENT_TEST_ENV:-$ROOT/.env.test}"

K8S_VERSION="${K8S_VERSION:-1.31.13}"
OPENSEARCH_VERSION="${OPENSEARCH_VERSION:-2.19.3}"
# The security plugin's releases add a fourth number to the OpenSearch version they are built for.
OPENSEARCH_SECURITY_VERSION="$OPENSEARCH_VERSION.0"
PG_MAJOR="${PG_MAJOR:-15}"
# The AWS endpoint stand-in: moto in server mode (Secrets Manager, STS, S3, ...), the real SDK talks to it.
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
# What the moto virtualenv holds: moto, and the Redis client its ElastiCache control plane (test/env/moto) uses.
MOTO_REQUIREMENTS="moto[server]==$MOTO_VERSION redis==5.2.1"

ETCD_PORT="${ETCD_PORT:-32379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-32380}"
API_PORT="${API_PORT:-36443}"
PG_PORT="${PG_PORT:-35432}"
REDIS_PORT="${REDIS_PORT:-36379}"
# A second Redis that behaves as ElastiCache with RBAC: its users come only from the ElastiCache API (moto).
ELASTICACHE_PORT="${ELASTICACHE_PORT:-36380}"
ELASTICACHE_USER_GROUP=sentiment-test
ELASTICACHE_ADMIN_USER=sentiment-operator
OPENSEARCH_PORT="${OPENSEARCH_PORT:-39200}"
OPENSEARCH_TRANSPORT_PORT="${OPENSEARCH_TRANSPORT_PORT:-39300}"
MOTO_PORT="${MOTO_PORT:-35050}"
# A second moto, which enforces IAM policies (test/env/up start_moto_strict).
MOTO_STRICT_PORT="${MOTO_STRICT_PORT:-35051}"
# A real llama.cpp server (PyPI llama-cpp-python, built here from its source with the llama.cpp it vendors)
# serving a tiny model the environment writes itself with PyPI gguf (test/env/llm): the API's self-hosted LLM
# path is tested against it.
LLAMA_CPP_REQUIREMENTS="llama-cpp-python[server]==0.3.36 gguf==0.19.0"
LLAMA_CPP_PORT="${LLAMA_CPP_PORT:-35060}"
COREDNS_HEALTH_PORT=38080
COREDNS_READY_PORT=38181
OPENSEARCH_USER=sentiment-os
# OpenSearch runs with fine-grained access control as an AWS domain does: one master user in the internal
# user database (password: the state secret opensearch-master-password), the node's and the admin's DNs.
OPENSEARCH_MASTER_USER=master
OPENSEARCH_NODE_DN="CN=opensearch-node"
OPENSEARCH_ADMIN_DN="CN=opensearch-admin"

# The node: kubelet, containerd and kube-proxy run in their own network namespace, joined to the host by
# one veth pair. The host end is the address pods reach the control plane and the data services at; the
# namespace has no default route and the host does not forward, so pods reach nothing beyond this machine.
NODE_NAME=sentiment-node
NODE_NETNS=sentiment-node
NODE_VETH_HOST=snode-host
HOST_IP=10.77.0.1
NODE_IP=10.77.0.2
NODE_LINK_CIDR=10.77.0.0/30
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/12
# The `kubernetes` Service's ClusterIP: the first address of SERVICE_CIDR (in the API server's certificate).
KUBERNETES_SERVICE_IP=10.96.0.1
CLUSTER_DOMAIN=cluster.local
METRICS_SERVER_PORT=34443
# amazon-eks-pod-identity-webhook (IRSA) runs in the node's network namespace, since it binds every address it
# has (no bind-address flag): the API server calls it at $NODE_IP. Its admission endpoint (HTTPS) and its
# metrics (HTTP), reserved in that namespace (NODE_RESERVED_PORTS) as the host's ports are here.
POD_IDENTITY_WEBHOOK_PORT=34444
POD_IDENTITY_WEBHOOK_METRICS_PORT=34445
NODE_RESERVED_PORTS="$POD_IDENTITY_WEBHOOK_PORT,$POD_IDENTITY_WEBHOOK_METRICS_PORT"
# The region of the AWS stand-in (moto), of .env.test's AWS_REGION and of what the IRSA webhook injects.
TEST_AWS_REGION=us-east-1
# Every port above listens inside the kernel's ephemeral range (32768-60999), where the control plane's
# own outgoing connections pick their source ports: reserved while the environment runs, so a service
# started after them never finds its port taken (test/env/up sets it, test/env/down gives it back).
TESTENV_PORTS="$ETCD_PORT,$ETCD_PEER_PORT,$API_PORT,$PG_PORT,$REDIS_PORT,$ELASTICACHE_PORT,$OPENSEARCH_PORT,$OPENSEARCH_TRANSPORT_PORT,$MOTO_PORT,$MOTO_STRICT_PORT,$LLAMA_CPP_PORT,$METRICS_SERVER_PORT,$COREDNS_HEALTH_PORT,$COREDNS_READY_PORT"
RESERVED_PORTS=/proc/sys/net/ipv4/ip_local_reserved_ports
# containerd's images and snapshots, the kubelet's pod directories, CNI state: `down` unmounts, then removes it.
NODE_STATE="$STATE/node"
NODE_RUN=/run/sentiment-node
CONTAINERD_SOCK="$NODE_RUN/containerd.sock"

log() { printf '[env] %s\n' "$*" >&2; }

# Prints the last lines of a component's log and exits: a component that cannot start stops the run.
die() {
  local msg=$1 logfile=${2:-}
  printf '[env] FAILED: %s\n' "$msg" >&2
  if [[ -n "$logfile" && -f "$logfile" ]]; then
    printf '[env] last lines of %s:\n' "$logfile" >&2
    tail -n 40 "$logfile" >&2
  fi
  exit 1
}

# Under `set -e` any failing command ends the script: this names it and where, so a run never stops in silence.
report_failures() {
  set -E
  trap 'printf "[env] FAILED: \`%s\` exited %s (%s line %s)\n" "$BASH_COMMAND" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR
}

# wait_for <seconds> <description> <command...>: polls until the command succeeds.
wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Runs a command inside the node's network namespace only (not `ip netns exec`, which also gives it a
# private mount namespace: the kubelet's volume mounts must be the ones containerd sees).
in_node() { nsenter --net="/run/netns/$NODE_NETNS" -- "$@"; }

# Starts a daemon detached from the caller's terminal and pipes, so CI's output capture never waits on it.
spawn() {
  local pidfile=$1 logfile=$2; shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
}

# A secret generated once per state dir and reused on every `up`.
state_secret() {
  local f="$STATE/secrets/$1"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$STATE/secrets"
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"
  fi
  cat "$f"
}
