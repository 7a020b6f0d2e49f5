#!/usr/bin/env bash
# `npm run start:operator`: the operator as a process in the foreground against the test cluster
# (test/env/up), with the demo tenant applied: it provisions the tenant in the local Postgres, Redis and
# OpenSearch and its pods run on the node from the images built from this checkout. Ctrl-C stops the
# operator; `npm run env:down` stops the rest. (`npm run start:cluster` runs the operator in the cluster
# instead; run one or the other, not both.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
set -a
source .env.test
set +a
cli=(node operator/dist/cli.js)
"${cli[@]}" crd | "$KUBECTL" apply --server-side --force-conflicts --field-manager=sentiment-start -f - >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=30s crd/sentimentplatforms.sentiment.analytics.dev >/dev/null
"$KUBECTL" create namespace tenant-acme --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
"$KUBECTL" apply --server-side --field-manager=sentiment-start -f examples/demo.yaml >/dev/null
cat <<MSG >&2

The operator runs against the test cluster; the demo tenant's pods start on its node.
  kubectl --kubeconfig $KUBECONFIG get sp -A
  kubectl --kubeconfig $KUBECONFIG describe sp -n tenant-acme acme
  kubectl --kubeconfig $KUBECONFIG get all,secrets,networkpolicies -n tenant-acme
  curl -s http://127.0.0.1:8080/metrics | grep sentiment_operator_
Starting the operator (Ctrl-C to stop)…

MSG
export OPERATOR_POSTGRES_ADMIN_URL=$DATABASE_URL OPERATOR_REDIS_ADMIN_URL=$REDIS_URL OPERATOR_OPENSEARCH_URL=$OPENSEARCH_URL
# The data services serve TLS from the test environment's CA: the operator trusts it and hands it to tenants.
export NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS_FILE
exec "${cli[@]}" run --no-leader-elect --http-port "${OPERATOR_HTTP_PORT:-8080}" \
  --default-image "api=$API_IMAGE" --default-image "ml=$ML_IMAGE" --data-ca-file "$DATA_CA_FILE"
