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
- apiGroups: [""]
  resources: [serviceaccounts, configmaps, secrets, services, persistentvolumeclaims, resourcequotas, limitranges]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [apps]
  resources: [deployments, statefulsets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, networkpolicies]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}
