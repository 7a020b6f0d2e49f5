# The test cluster's certificates (sourced by test/env/up): one CA signs the API server's serving
# certificate, the kubelet's serving certificate and the API server's client certificate to kubelets, as
# kubeadm lays them out, OpenSearch's node and admin certificates, and the IRSA webhook's serving and client
# certificates; a second CA is the aggregation layer's front proxy (metrics-server trusts it). Generated
# once per state dir (a certificate added here is issued on the next `up`).

PKI="$STATE/pki"

# issue_cert <name> <subject> <extendedKeyUsage> [subjectAltName] [ca]: <name>.key/.crt signed by <ca> (default ca).
issue_cert() {
  local name=$1 subject=$2 usage=$3 san=${4:-} ca=${5:-ca}
  [[ -s "$PKI/$name.crt" ]] && return
  local ext="$PKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null || die "could not sign $name"
  rm -f "$PKI/$name.csr" "$ext"
}

issue_ca() {
  local name=$1 cn=$2
  [[ -s "$PKI/$name.crt" ]] && return
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "/CN=$cn" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$name.crt" 2>/dev/null || die "could not create CA $name"
}

write_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  issue_ca ca sentiment-test-ca
  issue_ca front-proxy-ca sentiment-test-front-proxy-ca
  local svc="kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
  issue_cert apiserver /CN=kube-apiserver serverAuth \
    "DNS:$svc,DNS:localhost,IP:127.0.0.1,IP:$HOST_IP,IP:$KUBERNETES_SERVICE_IP"
  # How the API server proves itself to kubelets (logs, exec, port-forward): a system:masters client.
  issue_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$NODE_IP"
  issue_cert front-proxy-client /CN=front-proxy-client clientAuth "" front-proxy-ca
  issue_cert metrics-server /CN=metrics-server serverAuth \
    "DNS:metrics-server.kube-system.svc,IP:$HOST_IP" ca
  # amazon-eks-pod-identity-webhook: its serving certificate (the API server calls it at the node's address)
  # and its client certificate to the API server (the user system:pod-identity-webhook).
  issue_cert pod-identity-webhook /CN=pod-identity-webhook serverAuth \
    "DNS:pod-identity-webhook.kube-system.svc,IP:$NODE_IP"
  issue_cert pod-identity-webhook-client /CN=system:pod-identity-webhook clientAuth
  # OpenSearch's node certificate serves HTTP and transport (a node is the other nodes' client too); the
  # admin certificate is the security plugin's super-admin (plugins.security.authcz.admin_dn). The plugin
  # reads PKCS#8 keys only.
  # PostgreSQL serves TLS only (as RDS with rds.force_ssl); clients verify it for the address they use.
  issue_cert postgres /CN=postgres serverAuth "DNS:localhost,IP:127.0.0.1,IP:$HOST_IP"
  # Redis serves TLS only, as ElastiCache with in-transit encryption required.
  issue_cert redis /CN=redis serverAuth "DNS:localhost,IP:127.0.0.1,IP:$HOST_IP"
  issue_cert opensearch "/${OPENSEARCH_NODE_DN}" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1,IP:$HOST_IP"
  issue_cert opensearch-admin "/${OPENSEARCH_ADMIN_DN}" clientAuth
  local k
  for k in opensearch opensearch-admin; do
    (umask 077 && openssl pkcs8 -topk8 -nocrypt -in "$PKI/$k.key" -out "$PKI/$k.pk8.key") || die "could not convert $k.key to PKCS#8"
  done
  [[ -s "$PKI/sa.key" ]] || openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}
