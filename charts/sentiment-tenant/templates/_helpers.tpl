{{/* The tenant's namespace: namespace.name, else the release namespace. */}}
{{- define "sentiment-tenant.namespace" -}}
{{- default .Release.Namespace .Values.namespace.name }}
{{- end }}

{{- define "sentiment-tenant.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sentiment-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
sentiment.analytics.dev/platform: {{ .Values.name }}
{{- end }}
