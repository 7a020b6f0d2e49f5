#!/usr/bin/env bash
# Builds Argo CD from its Go module for the test that syncs examples/argocd with Argo CD's own controllers
# (e2e/test/argocd.test.ts): the one binary every component dispatches from by argv[0], as in Argo CD's
# image, linked under the components' names in $CACHE/argocd/bin, and the module's CRDs in $CACHE/argocd/crds.
# v2.14: v3's gitops-engine module does not build on this machine kind. Built in a copy of the module's
# source, so its go.mod's replace directives apply as in its release; cached like the other Go builds
# (build-addons.sh): each version is built once, the links follow the version pinned here.
set -euo pipefail
CACHE="${SENTIMENT_CACHE:-$HOME/.cache/sentiment-platform}"
ARGOCD_VERSION="${ARGOCD_VERSION:-2.14.21}"
MODULE=github.com/argoproj/argo-cd/v2
export GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache" CGO_ENABLED=0 GOFLAGS=-mod=mod
dir=$(go mod download -json "$MODULE@v$ARGOCD_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d "$dir" ]] || { echo "build-argocd: $MODULE@v$ARGOCD_VERSION did not download" >&2; exit 1; }
out="$CACHE/argocd/argocd-v$ARGOCD_VERSION"
if [[ ! -x "$out" ]]; then
  work="$CACHE/argocd/src-v$ARGOCD_VERSION"
  rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r "$dir" "$work" && chmod -R u+w "$work"
  echo "build-argocd: argo-cd v$ARGOCD_VERSION (cold: about 15 minutes on 2 cores)" >&2
  (cd "$work" && go build -trimpath -ldflags "-s -w -X $MODULE/common.version=$ARGOCD_VERSION" -o "$out.tmp" ./cmd >&2)
  mv "$out.tmp" "$out"
  rm -rf "$work"
fi
mkdir -p "$CACHE/argocd/bin" "$CACHE/argocd/crds"
for c in argocd-application-controller argocd-repo-server argocd-applicationset-controller; do
  ln -sf "$out" "$CACHE/argocd/bin/$c"
done
rm -f "$CACHE/argocd/crds/"*.yaml
cp "$dir"/manifests/crds/{application,applicationset,appproject}-crd.yaml "$CACHE/argocd/crds/"
echo "$CACHE/argocd"
