#!/usr/bin/env bash
# `npm run start:cluster`: the platform as a platform team runs it, on this machine's one-node test
# cluster (test/env/up: a real kubelet, containerd, kube-proxy, CoreDNS, metrics-server). Builds the
# images from this checkout, installs the operator chart, applies examples/demo.yaml, loads a sample Jira
# export through the tenant's API once its pods are Ready, then serves the dashboard on localhost with the
# API port-forwarded, as CloudFront and the ALB do in AWS. Ctrl-C stops the forwarding; the cluster keeps
# running (`npm run env:down` removes all of it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
set -a
source .env.test
set +a
source test/env/lib.sh
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
say() { printf '[cluster] %s\n' "$*" >&2; }

SYSTEM_NS=sentiment-system
TENANT_NS=tenant-acme
API_PORT_LOCAL="${API_PORT_LOCAL:-8080}"
WEB_PORT_LOCAL="${WEB_PORT_LOCAL:-8081}"
DASHBOARD="http://localhost:$WEB_PORT_LOCAL"

restricted_namespace() {
  k create namespace "$1" --dry-run=client -o yaml | k apply -f - >/dev/null
  k label --overwrite namespace "$1" pod-security.kubernetes.io/enforce=restricted >/dev/null
}

restricted_namespace "$SYSTEM_NS"
k create secret generic data-services-admin -n "$SYSTEM_NS" --dry-run=client -o yaml \
  --from-literal=postgres-admin-url="$DATABASE_URL" --from-literal=redis-admin-url="$REDIS_URL" \
  --from-literal=opensearch-url="$OPENSEARCH_URL" | k apply -f - >/dev/null
# A CRD applied earlier by hand (the tests do) is adopted into the release, as Helm documents.
crd=sentimentplatforms.sentiment.analytics.dev
if k get crd "$crd" >/dev/null 2>&1; then
  k label --overwrite crd "$crd" app.kubernetes.io/managed-by=Helm >/dev/null
  k annotate --overwrite crd "$crd" meta.helm.sh/release-name=sentiment-operator \
    meta.helm.sh/release-namespace="$SYSTEM_NS" >/dev/null
fi
say "installing the operator chart ($OPERATOR_IMAGE)"
"$HELM" --kubeconfig "$KUBECONFIG" upgrade --install sentiment-operator charts/sentiment-operator \
  --namespace "$SYSTEM_NS" --wait --timeout 5m \
  --set image.repository="${OPERATOR_IMAGE%:*}" --set image.tag="${OPERATOR_IMAGE##*:}" \
  --set tenantImages.api="$API_IMAGE" --set tenantImages.ml="$ML_IMAGE" \
  --set dataServices.existingSecret=data-services-admin --set-file dataServices.caBundle="$DATA_CA_FILE" \
  --set dashboardOrigin="$DASHBOARD" >/dev/null

restricted_namespace "$TENANT_NS"
say "applying examples/demo.yaml; waiting for its pods"
k apply -f examples/demo.yaml >/dev/null
if ! k wait --for=condition=Ready --timeout=10m -n "$TENANT_NS" sentimentplatform/acme >/dev/null; then
  k describe sentimentplatform -n "$TENANT_NS" acme >&2
  k get pods -n "$TENANT_NS" -o wide >&2
  exit 1
fi

secret() { k get secret acme-auth -n "$TENANT_NS" -o "jsonpath={.data.$1}" | base64 -d; }
api_url="http://$(k get service acme-api -n "$TENANT_NS" -o jsonpath='{.spec.clusterIP}')"
ADMIN_EMAIL=$(secret BOOTSTRAP_ADMIN_EMAIL) ADMIN_PASSWORD=$(secret BOOTSTRAP_ADMIN_PASSWORD) \
  node workloads/api/dist/sample/load.js "$api_url"

# The dashboard as CloudFront serves it in AWS: the built SPA on its own origin, pinned to the API by
# config.json; the tenant API allows that origin (the chart's dashboardOrigin → CORS_ORIGINS).
web="$STATE/dashboard"
rm -rf "$web" && cp -r workloads/web/dist "$web"
printf '{ "apiUrl": "http://localhost:%s" }\n' "$API_PORT_LOCAL" >"$web/config.json"
python3 -m http.server "$WEB_PORT_LOCAL" --bind 127.0.0.1 --directory "$web" >"$STATE/dashboard.log" 2>&1 &
web_pid=$!
trap 'kill $web_pid 2>/dev/null' EXIT

cat <<MSG

SentimentPlatform is running on the test cluster (node $NODE_NAME).
  Dashboard:  $DASHBOARD/
  Login:      $(secret BOOTSTRAP_ADMIN_EMAIL) / password:
              kubectl --kubeconfig $KUBECONFIG get secret acme-auth -n $TENANT_NS -o jsonpath='{.data.BOOTSTRAP_ADMIN_PASSWORD}' | base64 -d
  API:        http://localhost:$API_PORT_LOCAL (kubectl port-forward to service acme-api)
  Look:       kubectl --kubeconfig $KUBECONFIG get sp,pods,hpa -n $TENANT_NS
              kubectl --kubeconfig $KUBECONFIG top pods -n $TENANT_NS
Ctrl-C stops the port-forward and the dashboard; \`npm run env:down\` removes the cluster.

MSG
k port-forward -n "$TENANT_NS" service/acme-api "$API_PORT_LOCAL:80"
