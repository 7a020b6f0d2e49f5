#!/usr/bin/env bash
# Builds the cluster add-ons the test node needs from their Go modules: CoreDNS (with its kubernetes
# plugin, so Services resolve by name), metrics-server (so HorizontalPodAutoscalers see pod CPU) and
# amazon-eks-pod-identity-webhook (IRSA: pods of annotated ServiceAccounts get AWS_ROLE_ARN and a projected
# token, as on EKS). Binaries, GOMODCACHE and GOCACHE live outside the repo (shared with build-k8s.sh) and
# are reused: each version is built once, and <name> links to the version pinned here.
set -euo pipefail
CACHE="${SENTIMENT_CACHE:-$HOME/.cache/sentiment-platform}"
COREDNS_VERSION="${COREDNS_VERSION:-1.12.4}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-0.8.0}"
# The newest release tag on the Go module proxy (go list -m -versions github.com/aws/amazon-eks-pod-identity-webhook).
POD_IDENTITY_WEBHOOK_VERSION="${POD_IDENTITY_WEBHOOK_VERSION:-0.6.17}"
BIN="$CACHE/addons/bin"
export GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache" GOFLAGS=-mod=mod CGO_ENABLED=0
mkdir -p "$BIN"

# build <binary> <module> <version> <package>: a throwaway module requiring <module>@<version>, so its
# own go.sum pins the dependencies as upstream released them.
build() {
  local name=$1 module=$2 version=$3 pkg=$4
  local out="$BIN/$name-v$version"
  if [[ ! -x "$out" ]]; then
    local work="$CACHE/addons/mod-$name-v$version"
    mkdir -p "$work"
    printf 'module sentiment.local/%sbuild\n\ngo 1.24\n\nrequire %s v%s\n' "$name" "$module" "$version" >"$work/go.mod"
    printf '//go:build tools\n\npackage build\n\nimport _ "%s"\n' "$pkg" >"$work/tools.go"
    echo "build-addons: $name v$version" >&2
    (cd "$work" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$out" "$pkg" >&2)
  fi
  ln -sf "$out" "$BIN/$name"
}

build coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns
build metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server/cmd/metrics-server
build pod-identity-webhook github.com/aws/amazon-eks-pod-identity-webhook "$POD_IDENTITY_WEBHOOK_VERSION" \
  github.com/aws/amazon-eks-pod-identity-webhook
echo "$BIN"
