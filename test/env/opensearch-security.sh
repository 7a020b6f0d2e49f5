#!/usr/bin/env bash
# Writes OpenSearch's security configuration into its config dir (run by test/env/up's start_opensearch,
# after the distribution's config is copied there): what an Amazon OpenSearch Service domain with
# fine-grained access control runs. TLS on HTTP and transport with the test CA's node certificate; HTTP
# basic auth against the internal user database only, no anonymous access; one master user mapped to
# all_access and security_manager, the roles that may use the security REST API. No demo users, no demo
# certificates.
# The YAMLs seed the security index when the data dir has none; after that the index is the truth (the
# master user's password is a state secret, so the two agree until `down` removes both).
# Usage: opensearch-security.sh <distribution dir> <config dir> <java home>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pki.sh"
home=$1 conf=$2 java_home=$3
sec="$conf/opensearch-security"

# The plugin reads certificates only from under the config dir.
mkdir -p "$conf/certs"
install -m 0600 "$PKI/opensearch.crt" "$conf/certs/node.crt"
install -m 0600 "$PKI/opensearch.pk8.key" "$conf/certs/node.key"
install -m 0600 "$PKI/ca.crt" "$conf/certs/ca.crt"

cat >"$conf/opensearch.yml" <<EOF
# Written by test/env/opensearch-security.sh; network, ports and paths come as -E flags from test/env/up.
plugins.security.ssl.transport.enabled: true
plugins.security.ssl.transport.pemcert_filepath: certs/node.crt
plugins.security.ssl.transport.pemkey_filepath: certs/node.key
plugins.security.ssl.transport.pemtrustedcas_filepath: certs/ca.crt
# The node certificate names 127.0.0.1, $HOST_IP and localhost; nodes are recognised by nodes_dn instead.
plugins.security.ssl.transport.enforce_hostname_verification: false
plugins.security.ssl.http.enabled: true
plugins.security.ssl.http.pemcert_filepath: certs/node.crt
plugins.security.ssl.http.pemkey_filepath: certs/node.key
plugins.security.ssl.http.pemtrustedcas_filepath: certs/ca.crt
plugins.security.authcz.admin_dn: ["$OPENSEARCH_ADMIN_DN"]
plugins.security.nodes_dn: ["$OPENSEARCH_NODE_DN"]
# A fresh data dir gets its security index from the YAMLs below (no securityadmin.sh run needed).
plugins.security.allow_default_init_securityindex: true
# As on AWS: the master user's roles may manage users, roles and mappings through the REST API.
plugins.security.restapi.roles_enabled: ["all_access", "security_manager"]
plugins.security.system_indices.enabled: true
# Audit logging off (audit.yml says so too); noop rather than unset, which the plugin logs as an error.
plugins.security.audit.type: noop
# Field masking's hash salt (the plugin warns about its built-in default).
plugins.security.compliance.salt: "$(state_secret opensearch-compliance-salt | cut -c1-16)"
EOF

pw_hash=$(OPENSEARCH_JAVA_HOME="$java_home" OS_MASTER_PASSWORD="$(state_secret opensearch-master-password)" \
  bash "$home/plugins/opensearch-security/tools/hash.sh" -env OS_MASTER_PASSWORD | grep '^\$2') \
  || die "could not hash the OpenSearch master password"

# The distribution's copy holds the plugin's demo users and roles: replaced whole.
rm -rf "$sec" && mkdir -p "$sec"
meta() { printf '_meta:\n  type: "%s"\n  config_version: 2\n' "$1"; }

{
  meta config
  cat <<'EOF'
config:
  dynamic:
    http:
      anonymous_auth_enabled: false
      xff:
        enabled: false
    authc:
      basic_internal_auth_domain:
        description: "HTTP basic auth against the internal user database"
        http_enabled: true
        transport_enabled: true
        order: 0
        http_authenticator:
          type: basic
          challenge: true
        authentication_backend:
          type: intern
EOF
} >"$sec/config.yml"

{
  meta internalusers
  cat <<EOF
$OPENSEARCH_MASTER_USER:
  hash: "$pw_hash"
  reserved: false
  description: "The domain's master user"
EOF
} >"$sec/internal_users.yml"

# all_access is one of the plugin's static roles; security_manager is AWS's, so it is defined here: the
# security REST API and the cluster's health, no data.
{
  meta roles
  cat <<'EOF'
security_manager:
  reserved: true
  description: "Manage users, roles and role mappings (Amazon OpenSearch Service's predefined role)"
  cluster_permissions:
    - "cluster_monitor"
    - "restapi:admin/*"
    - "cluster:admin/opendistro_security/*"
EOF
} >"$sec/roles.yml"

{
  meta rolesmapping
  cat <<EOF
all_access:
  reserved: false
  users: ["$OPENSEARCH_MASTER_USER"]
security_manager:
  reserved: false
  users: ["$OPENSEARCH_MASTER_USER"]
EOF
} >"$sec/roles_mapping.yml"

# The static action groups and the global tenant come with the plugin; nothing is added to them.
meta actiongroups >"$sec/action_groups.yml"
meta tenants >"$sec/tenants.yml"
meta nodesdn >"$sec/nodes_dn.yml"
{ meta allowlist; printf 'config:\n  enabled: false\n'; } >"$sec/allowlist.yml"
{ meta audit; printf 'config:\n  enabled: false\n'; } >"$sec/audit.yml"
