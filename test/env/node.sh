# The test cluster's node (sourced by test/env/up): a network namespace joined to the host by a veth pair,
# containerd + runc + CNI (bridge, host-local, portmap, loopback) inside it, the kubelet and kube-proxy
# (iptables mode) in it too, and the cluster add-ons as host processes on the host end of the link:
# CoreDNS (Services resolve by name) and metrics-server (HPAs act on real pod CPU); and EKS's
# amazon-eks-pod-identity-webhook (IRSA), a host process in the node's namespace (see lib.sh).
# Each function is idempotent; `test/env/down` undoes all of it.

# kubeconfig <file> <user> <token>: a kubeconfig that reaches the API server from the host or the node.
write_kubeconfig() { kubeconfig_for "$1" "$2" "token: $3"; }

# kubeconfig <file> <user> <cert> <key>: the same with a client certificate from the CA (an identity added
# after the API server started: it reads the static-token file only when it starts).
write_cert_kubeconfig() { kubeconfig_for "$1" "$2" "client-certificate: $3" "client-key: $4"; }

kubeconfig_for() {
  local kc=$1 user=$2
  shift 2
  {
    cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sentiment-test
  cluster:
    server: https://$HOST_IP:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
EOF
    printf '    %s\n' "$@"
    cat <<EOF
contexts:
- name: sentiment-test
  context: { cluster: sentiment-test, user: $user, namespace: default }
current-context: sentiment-test
EOF
  } >"$kc"
  chmod 600 "$kc"
}

# Identities of the static-token file: name, groups. The kubelet is a real node identity (the Node
# authorizer and NodeRestriction apply to it); kube-proxy, CoreDNS and metrics-server get the bindings
# kube-up and their manifests give them; the operator identity lets the audit log count its requests.
node_identities() {
  cat <<EOF
kube-admin-token admin system:masters
kube-operator-token sentiment-operator-test system:masters
kubelet-token system:node:$NODE_NAME system:nodes
kube-proxy-token system:kube-proxy
coredns-token system:coredns
metrics-server-token system:metrics-server
EOF
}

write_token_file() {
  local file=$1 secret user groups
  : >"$file"
  while read -r secret user groups; do
    printf '%s,%s,%s,"%s"\n' "$(state_secret "$secret")" "$user" "$user" "$groups" >>"$file"
  done < <(node_identities)
  chmod 600 "$file"
}

setup_node_network() {
  mkdir -p /run/netns
  if ! ip netns list | grep -qw "$NODE_NETNS"; then
    ip netns add "$NODE_NETNS" || die "could not create network namespace $NODE_NETNS"
  fi
  if ! ip link show "$NODE_VETH_HOST" >/dev/null 2>&1; then
    ip link add "$NODE_VETH_HOST" type veth peer name eth0 netns "$NODE_NETNS" || die "could not create the veth pair"
    ip addr add "$HOST_IP/30" dev "$NODE_VETH_HOST"
    ip link set "$NODE_VETH_HOST" up
    in_node ip addr add "$NODE_IP/30" dev eth0
    in_node ip link set eth0 up
    in_node ip link set lo up
  fi
  # Pods and Services are reached from the host through the node (as from a VPC peer); nothing else is
  # routed, and the host keeps ip_forward off, so the node's default route does not exist.
  ip route replace "$POD_CIDR" via "$NODE_IP" dev "$NODE_VETH_HOST"
  ip route replace "$SERVICE_CIDR" via "$NODE_IP" dev "$NODE_VETH_HOST"
  in_node sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 \
    || die "the node's network namespace lacks br_netfilter sysctls"
  # The ports of what listens in the namespace (the IRSA webhook), kept from the kubelet's, containerd's and
  # kube-proxy's source ports; the namespace has its own list, which goes with it on `down`.
  in_node sysctl -qw "net.ipv4.ip_local_reserved_ports=$NODE_RESERVED_PORTS" \
    || die "could not reserve $NODE_RESERVED_PORTS in the node's network namespace"
}

node_bin() { k8s_bin "$1"; }

start_containerd() {
  local dir="$NODE_STATE/containerd" logf="$STATE/containerd.log" pid="$STATE/containerd.pid"
  if pid_alive "$pid" && ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then return; fi
  mkdir -p "$dir/root" "$NODE_RUN" "$NODE_STATE/cni/conf" "$NODE_STATE/cni/ipam"
  cat >"$NODE_STATE/cni/conf/10-sentiment.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "sentiment-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE_STATE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$NODE_RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(images_var PAUSE_IMAGE)"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails lowering its oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NODE_RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_STATE/cni/conf"
EOF
  spawn "$pid" "$logf" nsenter --net="/run/netns/$NODE_NETNS" -- containerd --config "$dir/config.toml"
  wait_for 30 containerd ctr -a "$CONTAINERD_SOCK" version || die "containerd did not start" "$logf"
  log "containerd    $CONTAINERD_SOCK ($(containerd --version | cut -d' ' -f3), in netns $NODE_NETNS)"
}

start_kubelet() {
  local dir="$NODE_STATE/kubelet" logf="$STATE/kubelet.log" pid="$STATE/kubelet.pid"
  pid_alive "$pid" && return
  mkdir -p "$dir" "$NODE_STATE/pod-logs"
  write_kubeconfig "$STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" "$(state_secret kubelet-token)"
  cat >"$STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
# Only the API server (with its kubelet client certificate) or a token the API server vouches for may
# use the kubelet's API: no anonymous exec into pods.
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization:
  mode: Webhook
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
# This machine kind mounts cgroup v1; 1.31 still supports it when told to.
failCgroupV1: false
failSwapOn: false
clusterDNS: [$HOST_IP]
clusterDomain: $CLUSTER_DOMAIN
# The host's resolver is not reachable from pods; they resolve through CoreDNS only.
resolvConf: ""
podLogsDir: $NODE_STATE/pod-logs
# The VM's disk is shared with everything else: evict on real exhaustion only, never collect our images.
evictionHard: { memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
nodeStatusUpdateFrequency: 5s
EOF
  # Labels of the infra's general spot node group (infra/src/stacks/cluster.ts); see node_labels.
  spawn "$pid" "$logf" nsenter --net="/run/netns/$NODE_NETNS" -- "$(node_bin kubelet)" \
    --config="$STATE/kubelet-config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$dir" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --node-labels="$(node_labels)" --v=1
  log "kubelet       $NODE_NAME at $NODE_IP:10250 ($(node_labels))"
}

# The node stands for one of EKS's spot managed node groups: the label EKS sets, the infra's pool label, a zone.
node_labels() {
  echo "eks.amazonaws.com/capacityType=SPOT,sentiment.analytics.dev/node-pool=general,topology.kubernetes.io/zone=test-zone-a,node.kubernetes.io/instance-type=test.2xcpu"
}

start_kube_proxy() {
  local logf="$STATE/kube-proxy.log" pid="$STATE/kube-proxy.pid"
  pid_alive "$pid" && return
  write_kubeconfig "$STATE/kube-proxy.kubeconfig" system:kube-proxy "$(state_secret kube-proxy-token)"
  cat >"$STATE/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $STATE/kube-proxy.kubeconfig }
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$NODE_IP/32]
# conntrack limits are global sysctls a network namespace may not write: leave them as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { minSyncPeriod: 1s, syncPeriod: 30s }
EOF
  spawn "$pid" "$logf" nsenter --net="/run/netns/$NODE_NETNS" -- "$(node_bin kube-proxy)" \
    --config="$STATE/kube-proxy-config.yaml" --v=1
  log "kube-proxy    iptables mode in netns $NODE_NETNS"
}

start_scheduler() {
  local logf="$STATE/kube-scheduler.log" pid="$STATE/kube-scheduler.pid"
  pid_alive "$pid" && return
  spawn "$pid" "$logf" "$(k8s_bin kube-scheduler)" --kubeconfig="$STATE/kubeconfig" \
    --authentication-kubeconfig="$STATE/kubeconfig" --authorization-kubeconfig="$STATE/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
  sleep 1
  pid_alive "$pid" || die "kube-scheduler exited" "$logf"
  log "kube-scheduler"
}

start_coredns() {
  local logf="$STATE/coredns.log" pid="$STATE/coredns.pid"
  pid_alive "$pid" && return
  write_kubeconfig "$STATE/coredns.kubeconfig" system:coredns "$(state_secret coredns-token)"
  # No `forward`: names outside the cluster get an answer of failure at once, never a query off the machine.
  cat >"$STATE/Corefile" <<EOF
.:53 {
  bind $HOST_IP
  errors
  health 127.0.0.1:$COREDNS_HEALTH_PORT
  ready 127.0.0.1:$COREDNS_READY_PORT
  kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
    kubeconfig $STATE/coredns.kubeconfig sentiment-test
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  cache 5
}
EOF
  spawn "$pid" "$logf" "$(addon_bin coredns)" -conf "$STATE/Corefile"
  wait_for 30 coredns curl -fsS "http://127.0.0.1:$COREDNS_READY_PORT/ready" || die "CoreDNS did not become ready" "$logf"
  log "coredns       $HOST_IP:53 ($CLUSTER_DOMAIN)"
}

start_metrics_server() {
  local logf="$STATE/metrics-server.log" pid="$STATE/metrics-server.pid"
  pid_alive "$pid" && return
  write_kubeconfig "$STATE/metrics-server.kubeconfig" system:metrics-server "$(state_secret metrics-server-token)"
  spawn "$pid" "$logf" "$(addon_bin metrics-server)" \
    --kubeconfig="$STATE/metrics-server.kubeconfig" \
    --authentication-kubeconfig="$STATE/metrics-server.kubeconfig" \
    --authorization-kubeconfig="$STATE/metrics-server.kubeconfig" \
    --bind-address="$HOST_IP" --secure-port="$METRICS_SERVER_PORT" \
    --tls-cert-file="$PKI/metrics-server.crt" --tls-private-key-file="$PKI/metrics-server.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --kubelet-use-node-status-port --metric-resolution=15s
  log "metrics-server $HOST_IP:$METRICS_SERVER_PORT (v1beta1.metrics.k8s.io)"
}

# The IRSA webhook, as EKS runs it on its control plane: amazon-eks-pod-identity-webhook out of cluster
# (--in-cluster=false: its own kubeconfig and a serving certificate from the CA), its flags as in the
# upstream deployment (deploy/deployment-base.yaml) plus what EKS sets: the cluster's region, regional STS,
# and the README's 100 ms wait for a ServiceAccount that its informer has not seen yet (it then GETs it, so a
# pod created right after its ServiceAccount is mutated). It runs in the node's network namespace, since it
# listens on every address it has; the API server calls it at $NODE_IP:$POD_IDENTITY_WEBHOOK_PORT.
start_pod_identity_webhook() {
  local logf="$STATE/pod-identity-webhook.log" pid="$STATE/pod-identity-webhook.pid"
  local url="https://$NODE_IP:$POD_IDENTITY_WEBHOOK_PORT" kc="$STATE/pod-identity-webhook.kubeconfig"
  if ! pid_alive "$pid"; then
    write_cert_kubeconfig "$kc" system:pod-identity-webhook "$PKI/pod-identity-webhook-client.crt" "$PKI/pod-identity-webhook-client.key"
    spawn "$pid" "$logf" nsenter --net="/run/netns/$NODE_NETNS" -- "$(addon_bin pod-identity-webhook)" \
      --in-cluster=false --kubeconfig="$kc" \
      --port="$POD_IDENTITY_WEBHOOK_PORT" --metrics-port="$POD_IDENTITY_WEBHOOK_METRICS_PORT" \
      --tls-cert="$PKI/pod-identity-webhook.crt" --tls-key="$PKI/pod-identity-webhook.key" \
      --annotation-prefix=eks.amazonaws.com --token-audience=sts.amazonaws.com \
      --aws-default-region="$TEST_AWS_REGION" --sts-regional-endpoint=true \
      --service-account-lookup-grace-period=100ms --logtostderr
  fi
  wait_for 30 pod-identity-webhook curl -fsS --cacert "$PKI/ca.crt" "$url/healthz" \
    || die "amazon-eks-pod-identity-webhook did not answer on $url/healthz" "$logf"
  pod_identity_webhook_configuration | "$CACHE/bin/kubectl" --kubeconfig "$STATE/kubeconfig" apply --server-side \
    --field-manager=sentiment-testenv -f - >"$STATE/pod-identity-webhook-apply.log" 2>&1 \
    || die "could not apply the MutatingWebhookConfiguration pod-identity-webhook" "$STATE/pod-identity-webhook-apply.log"
  log "pod-identity-webhook $url/mutate ($(basename "$(readlink -f "$(addon_bin pod-identity-webhook)")"), IRSA: eks.amazonaws.com/role-arn, region $TEST_AWS_REGION)"
}

# EKS's MutatingWebhookConfiguration for it (name pod-identity-webhook, webhook iam-for-pods.amazonaws.com,
# pod CREATE, AdmissionReview v1beta1, failurePolicy Ignore as upstream and EKS: a pod admitted while the
# webhook is down runs without IRSA credentials, as it would on EKS; test/smoke/irsa.test.ts fails then) with
# the URL and CA here, and a namespaceSelector that keeps the control plane's namespaces out.
pod_identity_webhook_configuration() {
  cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: pod-identity-webhook }
webhooks:
- name: iam-for-pods.amazonaws.com
  clientConfig:
    url: https://$NODE_IP:$POD_IDENTITY_WEBHOOK_PORT/mutate
    caBundle: $(base64 -w0 "$PKI/ca.crt")
  failurePolicy: Ignore
  matchPolicy: Equivalent
  sideEffects: None
  admissionReviewVersions: [v1beta1]
  timeoutSeconds: 10
  rules:
  - { operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods] }
  namespaceSelector:
    matchExpressions:
    - { key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, kube-public, kube-node-lease] }
  objectSelector:
    matchExpressions:
    - { key: eks.amazonaws.com/skip-pod-identity-webhook, operator: DoesNotExist }
EOF
}

# RBAC of the add-on identities (as their upstream manifests bind them) and metrics-server's APIService,
# whose Service points at the host end of the node link.
cluster_addons() {
  cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: 'system:coredns' }
rules:
- { apiGroups: [''], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
- { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: 'system:coredns' }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:coredns' }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: 'system:coredns' }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: 'system:metrics-server' }
rules:
- { apiGroups: [''], resources: [nodes/metrics], verbs: [get] }
- { apiGroups: [''], resources: [pods, nodes], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: 'system:metrics-server' }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:metrics-server' }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: 'system:metrics-server' }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: 'metrics-server:system:auth-delegator' }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:auth-delegator' }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: 'system:metrics-server' }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: metrics-server-auth-reader, namespace: kube-system }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: 'system:metrics-server' }]
---
# amazon-eks-pod-identity-webhook's ClusterRole as deploy/auth.yaml has it (it watches ServiceAccounts; the
# CertificateSigningRequest rights serve --in-cluster=true, and the Role on its Secret is left out with it).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: pod-identity-webhook }
rules:
- { apiGroups: [''], resources: [serviceaccounts], verbs: [get, watch, list] }
- { apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create, get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: pod-identity-webhook }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-identity-webhook }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: 'system:pod-identity-webhook' }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: 'system:aggregated-metrics-reader'
  labels:
    rbac.authorization.k8s.io/aggregate-to-admin: 'true'
    rbac.authorization.k8s.io/aggregate-to-edit: 'true'
    rbac.authorization.k8s.io/aggregate-to-view: 'true'
rules:
- { apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list, watch] }
---
apiVersion: v1
kind: Service
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
spec:
  ports: [{ name: https, port: 443, protocol: TCP, targetPort: $METRICS_SERVER_PORT }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: metrics-server, namespace: kube-system, labels: { k8s-app: metrics-server } }
subsets:
- addresses: [{ ip: $HOST_IP }]
  ports: [{ name: https, port: $METRICS_SERVER_PORT, protocol: TCP }]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.metrics.k8s.io, labels: { k8s-app: metrics-server } }
spec:
  service: { name: metrics-server, namespace: kube-system, port: 443 }
  group: metrics.k8s.io
  version: v1beta1
  caBundle: $(base64 -w0 "$PKI/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
}

apply_cluster_addons() {
  cluster_addons | "$CACHE/bin/kubectl" --kubeconfig "$STATE/kubeconfig" apply --server-side \
    --field-manager=sentiment-testenv -f - >"$STATE/addons.log" 2>&1 || die "could not apply the cluster add-ons" "$STATE/addons.log"
}

# CRDs of projects the operator works with, from their Go modules as released, so that the API server
# validates what the operator writes against the real schemas. Only the CRDs: nothing here runs them.
# Usage: apply_module_crds NAME MODULE@VERSION DIR FILE... (DIR: the CRDs' folder in the module).
apply_module_crds() {
  local module=$2 dir=$3 logf="$STATE/$1-crds.log" root file
  shift 3
  root=$(GOMODCACHE="$CACHE/gomodcache" GOFLAGS=-mod=mod go mod download -json "$module" 2>"$logf" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p') || true
  [[ -n "$root" ]] || die "could not download the Go module $module" "$logf"
  for file in "$@"; do
    "$CACHE/bin/kubectl" --kubeconfig "$STATE/kubeconfig" apply --server-side --field-manager=sentiment-testenv \
      -f "$root/$dir/$file" >>"$logf" 2>&1 || die "could not apply the CRD $file of $module" "$logf"
  done
}

# The Prometheus Operator's ServiceMonitor and PrometheusRule: the operator writes them per tenant.
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
apply_monitoring_crds() {
  apply_module_crds monitoring "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    example/prometheus-operator-crd monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml
  log "CRDs          monitoring.coreos.com ServiceMonitor, PrometheusRule (prometheus-operator $PROMETHEUS_OPERATOR_VERSION)"
}

# KEDA's ScaledObject and TriggerAuthentication: the operator scales autoscaled workers with them (no KEDA
# runs here, so no worker is scaled by it).
KEDA_VERSION="${KEDA_VERSION:-v2.18.0}"
apply_keda_crds() {
  apply_module_crds keda "github.com/kedacore/keda/v2@$KEDA_VERSION" \
    config/crd/bases keda.sh_scaledobjects.yaml keda.sh_triggerauthentications.yaml
  log "CRDs          keda.sh ScaledObject, TriggerAuthentication (keda $KEDA_VERSION)"
}

wait_node_ready() {
  local kc=(--kubeconfig "$STATE/kubeconfig")
  wait_for 120 node "$CACHE/bin/kubectl" "${kc[@]}" wait --for=condition=Ready --timeout=2s "node/$NODE_NAME" \
    || die "node $NODE_NAME did not become Ready" "$STATE/kubelet.log"
  # The node-lifecycle controller lifts the not-ready taint once the node reports Ready.
  wait_for 60 "node taints" sh -c "[ -z \"\$('$CACHE/bin/kubectl' --kubeconfig '$STATE/kubeconfig' get node $NODE_NAME -o jsonpath='{.spec.taints}')\" ]" \
    || die "node $NODE_NAME kept its taints" "$STATE/kube-controller-manager.log"
  log "node          $NODE_NAME Ready ($(nproc) CPU, $(free -g | awk '/Mem:/ {print $2}') GiB)"
}
