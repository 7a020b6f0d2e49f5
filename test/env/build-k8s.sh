#!/usr/bin/env bash
# Builds the control plane (kube-apiserver, kube-controller-manager, kube-scheduler) and the node
# (kubelet, kube-proxy) from the Go module k8s.io/kubernetes, in one `go build` so they share compiled packages.
# k/k's own go.mod points its staging modules at ./staging, so a throwaway module replaces each
# with its published v0.x twin. Binaries, GOMODCACHE and GOCACHE live outside the repo and are reused.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-1.31.13}"
CACHE="${SENTIMENT_CACHE:-$HOME/.cache/sentiment-platform}"
BIN="$CACHE/k8s-v$K8S_VERSION/bin"
commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
missing=0
for c in "${commands[@]}"; do [[ -x "$BIN/$c" ]] || missing=1; done
((missing)) || { echo "$BIN"; exit 0; }
minor="${K8S_VERSION#1.}"; staging="v0.$minor"
work="$CACHE/k8s-v$K8S_VERSION/mod"
mkdir -p "$work" "$BIN"
staging_modules=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
  csi-translation-lib dynamic-resource-allocation endpointslice kms kube-aggregator kube-controller-manager
  kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver
  sample-cli-plugin sample-controller)
# The Go module proxy reachable here does not serve every patch of every staging module; these are the
# nearest patches it does serve (patch releases do not change these modules' APIs).
declare -A override=()
if [[ "$K8S_VERSION" == 1.31.13 ]]; then override=([cloud-provider]=v0.31.14 [kube-proxy]=v0.31.11); fi
{
  echo "module sentiment.local/k8sbuild"
  echo
  echo "go 1.22"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  echo "replace ("
  for m in "${staging_modules[@]}"; do echo "	k8s.io/$m => k8s.io/$m ${override[$m]:-$staging}"; done
  echo ")"
} > "$work/go.mod"
cat > "$work/tools.go" <<'GO'
//go:build tools

package k8sbuild

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
export GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache" GOFLAGS=-mod=mod CGO_ENABLED=0
cd "$work"
echo "build-k8s: resolving modules for k8s.io/kubernetes v$K8S_VERSION" >&2
go mod tidy -e >&2 || go get "k8s.io/kubernetes@v$K8S_VERSION" >&2
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
echo "build-k8s: compiling (a cold build takes 10-30 minutes on 2 cores)" >&2
go build -trimpath -ldflags "$ldflags" -o "$BIN/" "${commands[@]/#/k8s.io/kubernetes/cmd/}" >&2
echo "$BIN"
