{{/* Chart name, overridable. */}}
{{- define "sentiment-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: the release name, plus the chart name unless the release already contains it.
Cluster-scoped objects are named from it, so two releases never share a ClusterRole.
*/}}
{{- define "sentiment-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sentiment-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sentiment-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sentiment-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sentiment-operator.labels" -}}
helm.sh/chart: {{ include "sentiment-operator.chart" . }}
{{ include "sentiment-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: sentiment-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sentiment-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sentiment-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The kinds the operator creates, changes and deletes in tenant namespaces, by API group: exactly the kinds
synth emits (operator/src/synth; the Prometheus Operator's and KEDA's only where the cluster serves them)
plus the tenant Secrets the reconciler writes (<name>-data, <name>-auth).
charts/test/operator-rbac.test.ts derives that set from synth's output for every example and fails when this
list differs. The manager rules and the ValidatingAdmissionPolicy are both made from it.
*/}}
{{- define "sentiment-operator.ownedResources" -}}
"": [configmaps, limitranges, resourcequotas, secrets, serviceaccounts, services]
apps: [deployments]
autoscaling: [horizontalpodautoscalers]
batch: [cronjobs, jobs]
keda.sh: [scaledobjects, triggerauthentications]
monitoring.coreos.com: [prometheusrules, servicemonitors]
networking.k8s.io: [ingresses, networkpolicies]
policy: [poddisruptionbudgets]
{{- end }}

{{/*
The rules the operator needs on SentimentPlatforms and on the kinds it owns, and nothing more
(operator/src/reconcile: server-side apply, prune, status, finalizer, events). Shared by the
ClusterRole (whole cluster) and the per-namespace Roles (watchNamespaces).
*/}}
{{- define "sentiment-operator.managerRules" -}}
- apiGroups: [sentiment.analytics.dev]
  resources: [sentimentplatforms]
  verbs: [get, list, watch, patch, update]
- apiGroups: [sentiment.analytics.dev]
  resources: [sentimentplatforms/status]
  verbs: [get, patch, update]
- apiGroups: [sentiment.analytics.dev]
  resources: [sentimentplatforms/finalizers]
  verbs: [update]
{{- range $group, $resources := include "sentiment-operator.ownedResources" . | fromYaml }}
- apiGroups: [{{ $group | quote }}]
  resources: [{{ join ", " $resources }}]
  verbs: [get, list, watch, create, patch, update, delete]
{{- end }}
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}
