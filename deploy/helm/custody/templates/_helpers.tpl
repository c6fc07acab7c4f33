{{/*
Helpers shared by the per-service templates. Most take a context dict:
  (dict "root" $ "app" "tenant-store")
where "app" is the service's name as in apps/<app>. The apps' fixed facts are in custody.appTable.
*/}}

{{/* The apps: values key, container port and its env var, whether it talks to Kafka/PostgreSQL. */}}
{{- define "custody.appTable" -}}
ingest: {key: ingest, port: 3000, portEnv: INGEST_PORT, backend: true, verifiesTokens: true}
tenant-store: {key: tenantStore, port: 3001, portEnv: TENANT_STORE_PORT, backend: true, verifiesTokens: false}
consent: {key: consent, port: 3002, portEnv: CONSENT_PORT, backend: true, verifiesTokens: true}
marketing-export: {key: marketingExport, port: 3003, portEnv: MARKETING_EXPORT_PORT, backend: true, verifiesTokens: true}
sandbox: {key: sandbox, port: 3004, portEnv: SANDBOX_PORT, backend: false, verifiesTokens: false}
{{- end }}

{{/* The app's row of custody.appTable, as YAML: use with fromYaml. */}}
{{- define "custody.meta" -}}
{{- $row := get (include "custody.appTable" . | fromYaml) .app -}}
{{- if not $row }}{{ fail (printf "custody: unknown app %q" .app) }}{{ end -}}
{{- toYaml $row -}}
{{- end }}

{{/* The app's values (.Values.<key>) are read with: index .root.Values (include "custody.key" .) */}}
{{- define "custody.key" -}}
{{- (include "custody.meta" . | fromYaml).key -}}
{{- end }}

{{- define "custody.port" -}}
{{- (include "custody.meta" . | fromYaml).port | int -}}
{{- end }}

{{/* Chart name for the app.kubernetes.io/name label. Takes the root context. */}}
{{- define "custody.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Prefix of every resource name. At most 38 characters so "<prefix>-marketing-export-migrate" fits in 63. Takes the root context. */}}
{{- define "custody.prefix" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 38 | trimSuffix "-" -}}
{{- end }}

{{/* "<prefix>-<app>": the name of the app's Deployment, Service, ServiceAccount, ConfigMap, ... */}}
{{- define "custody.fullname" -}}
{{- printf "%s-%s" (include "custody.prefix" .root) .app -}}
{{- end }}

{{- define "custody.selectorLabels" -}}
app.kubernetes.io/name: {{ include "custody.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{- define "custody.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "custody.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: custody
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The metadata every object gets: name, namespace, labels. */}}
{{- define "custody.metadata" -}}
name: {{ include "custody.fullname" . }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "custody.labels" . | nindent 2 }}
{{- end }}

{{/* The app's image reference. */}}
{{- define "custody.image" -}}
{{- $global := .root.Values.image -}}
{{- $image := (index .root.Values (include "custody.key" .)).image -}}
{{- $repository := $image.repository -}}
{{- if not $repository -}}
  {{- $repository = printf "%s-%s" $global.repositoryPrefix .app -}}
  {{- if $global.registry }}{{ $repository = printf "%s/%s" $global.registry $repository }}{{ end -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default (default .root.Chart.AppVersion $global.tag) $image.tag) -}}
{{- end -}}
{{- end }}

{{/* Default JWKS URL: tenant-store's in-cluster endpoint. Takes the root context. */}}
{{- define "custody.jwksUrl" -}}
{{- if .Values.auth.jwksUrl -}}
{{- .Values.auth.jwksUrl -}}
{{- else -}}
{{- printf "http://%s:%d/.well-known/jwks.json" (include "custody.fullname" (dict "root" . "app" "tenant-store")) (.Values.tenantStore.service.port | int) -}}
{{- end -}}
{{- end }}

{{/* ---------------------------------------------------------------- Secret references */}}

{{/* A secretKeyRef env var. Takes (dict "env" NAME "secret" NAME-OR-EMPTY "key" KEY "what" DESCRIPTION-FOR-THE-ERROR). */}}
{{- define "custody.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "%s is required: the name of an existing Secret (see docs/operations.md, \"Secrets to create\")" .what) .secret | quote }}
      key: {{ required (printf "the key of %s is required" .what) .key | quote }}
{{- end }}

{{/* The app's two PostgreSQL URLs from its own Secret. Takes (dict "root" $ "app" NAME). */}}
{{- define "custody.databaseUrlEnv" -}}
{{- $key := include "custody.key" . -}}
{{- $db := index .root.Values.database $key -}}
{{- include "custody.secretEnv" (dict "env" "DATABASE_URL" "secret" $db.existingSecret "key" .root.Values.database.urlKey "what" (printf "database.%s.existingSecret (%s's PostgreSQL URLs: its application role's, DATABASE_URL)" $key .app)) }}
{{ include "custody.secretEnv" (dict "env" "DATABASE_PLATFORM_URL" "secret" $db.existingSecret "key" .root.Values.database.platformUrlKey "what" (printf "database.%s.existingSecret (%s's PostgreSQL URLs: its platform role's, DATABASE_PLATFORM_URL)" $key .app)) }}
{{- end }}

{{/* KAFKA_SASL_PASSWORD when SASL is on. Takes the root context. */}}
{{- define "custody.kafkaSecretEnv" -}}
{{- if .Values.kafka.sasl.mechanism -}}
{{- if not .Values.kafka.sasl.username }}{{ fail "kafka.sasl.username is required when kafka.sasl.mechanism is set" }}{{ end -}}
{{ include "custody.secretEnv" (dict "env" "KAFKA_SASL_PASSWORD" "secret" .Values.kafka.sasl.existingSecret "key" .Values.kafka.sasl.passwordKey "what" "kafka.sasl.existingSecret (the Kafka SASL password, required when kafka.sasl.mechanism is set)") }}
{{- end -}}
{{- end }}

{{/* Non-secret Kafka settings as env entries (map form, for ConfigMaps). Takes the root context. */}}
{{- define "custody.kafkaConfig" -}}
KAFKA_BROKERS: {{ required "kafka.brokers must list at least one host:port" (join "," .Values.kafka.brokers) | quote }}
KAFKA_SSL: {{ .Values.kafka.tls.enabled | toString | quote }}
KAFKA_TOPIC_PREFIX: {{ required "kafka.topicPrefix is required" .Values.kafka.topicPrefix | quote }}
{{- with .Values.kafka.groupPrefix }}
KAFKA_GROUP_PREFIX: {{ . | quote }}
{{- end }}
{{- with .Values.kafka.sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ . | quote }}
KAFKA_SASL_USERNAME: {{ $.Values.kafka.sasl.username | quote }}
{{- end }}
{{- end }}

{{/* The same as a list of env vars (for hook Jobs, which cannot use the apps' ConfigMaps). Takes the root context. */}}
{{- define "custody.kafkaEnv" -}}
{{- range $name, $value := include "custody.kafkaConfig" . | fromYaml }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- with include "custody.kafkaSecretEnv" . }}
{{ . }}
{{- end }}
{{- end }}

{{/* ---------------------------------------------------------------- Pods */}}

{{- define "custody.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "custody.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* Renders nothing when there are none; call as: with include "custody.imagePullSecrets" . */}}
{{- define "custody.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . | quote }}
  {{- end }}
{{- end -}}
{{- end }}

{{/*
NODE_OPTIONS of every Node container (apps and hook Jobs). kafkajs 2.2.4 schedules a negative timer
on Node 24 (tulios/kafkajs#1751), which only prints a TimeoutNegativeWarning; silence that one warning.
*/}}
{{- define "custody.nodeOptions" -}}--disable-warning=TimeoutNegativeWarning{{- end }}

{{/* Mount points of the files every container may need. Takes the root context. */}}
{{- define "custody.caPath" -}}/etc/custody/ca/ca.crt{{- end }}

{{/* Where consent reads its log signing key (CONSENT_LOG_KEY_FILE), mounted from consent.logKey. */}}
{{- define "custody.consentLogKeyPath" -}}/etc/custody/consent-log-key/consent-log-key.json{{- end }}

{{- define "custody.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.extraCaCertificates.existingSecret }}
- name: extra-ca
  mountPath: /etc/custody/ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "custody.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.extraCaCertificates.existingSecret }}
- name: extra-ca
  secret:
    secretName: {{ .Values.extraCaCertificates.existingSecret | quote }}
    defaultMode: 0440
    items:
      - key: {{ .Values.extraCaCertificates.key | quote }}
        path: ca.crt
{{- end }}
{{- end }}

{{/* Probes on the app's health endpoints. Takes the context dict. */}}
{{- define "custody.probes" -}}
{{- $p := (index .root.Values (include "custody.key" .)).probes -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ $p.startup.periodSeconds }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
{{- end }}

{{/* Pod annotations: config checksum (a config change rolls the pods) and scrape hints. Takes the context dict. */}}
{{- define "custody.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/" .app "/configmap.yaml") .root | sha256sum }}
{{- if .root.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .root.Values.metrics.port | int | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with (index .root.Values (include "custody.key" .)).podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Scheduling: node selector, tolerations, affinity, priority, and the soft spread. Takes the context dict; renders nothing when there is nothing to say. */}}
{{- define "custody.scheduling" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
{{- $s := dict -}}
{{- with $v.priorityClassName }}{{ $_ := set $s "priorityClassName" . }}{{ end -}}
{{- with $v.nodeSelector }}{{ $_ := set $s "nodeSelector" . }}{{ end -}}
{{- with $v.tolerations }}{{ $_ := set $s "tolerations" . }}{{ end -}}
{{- with $v.affinity }}{{ $_ := set $s "affinity" . }}{{ end -}}
{{- if .root.Values.spreadPods -}}
  {{- $selector := dict "matchLabels" (include "custody.selectorLabels" . | fromYaml) -}}
  {{- $spread := list -}}
  {{- range $key := list "kubernetes.io/hostname" "topology.kubernetes.io/zone" -}}
    {{- $spread = append $spread (dict "maxSkew" 1 "topologyKey" $key "whenUnsatisfiable" "ScheduleAnyway" "labelSelector" $selector) -}}
  {{- end -}}
  {{- $_ := set $s "topologySpreadConstraints" $spread -}}
{{- end -}}
{{- if $s }}{{ toYaml $s }}{{ end -}}
{{- end }}

{{/* ---------------------------------------------------------------- Small per-app objects */}}

{{/* The app's non-secret configuration, read by the container with envFrom. Takes the context dict. */}}
{{- define "custody.configMap" -}}
{{- $meta := include "custody.meta" . | fromYaml -}}
{{- $v := index .root.Values $meta.key -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
data:
  HTTP_HOST: "0.0.0.0"
  {{ $meta.portEnv }}: {{ $meta.port | int | quote }}
  LOG_LEVEL: {{ default .root.Values.logLevel $v.logLevel | quote }}
  HTTP_DOCS: {{ .root.Values.docs.enabled | quote }}
  METRICS_PORT: {{ .root.Values.metrics.port | int | quote }}
  NODE_OPTIONS: {{ include "custody.nodeOptions" . | quote }}
  {{- if .root.Values.extraCaCertificates.existingSecret }}
  NODE_EXTRA_CA_CERTS: {{ include "custody.caPath" . | quote }}
  {{- end }}
  {{- if $meta.backend }}
  {{- include "custody.kafkaConfig" .root | nindent 2 }}
  JWT_ISSUER: {{ required "auth.issuer is required" .root.Values.auth.issuer | quote }}
  JWT_AUDIENCE: {{ required "auth.audience is required" .root.Values.auth.audience | quote }}
  {{- $rl := .root.Values.rateLimits }}
  {{- range $env, $value := dict "RATE_LIMIT_API_PER_SECOND" $rl.apiPerSecond "RATE_LIMIT_API_BURST" $rl.apiBurst "RATE_LIMIT_TOKEN_PER_MINUTE" $rl.tokenPerMinute }}
  {{- if not (kindIs "invalid" $value) }}
  {{ $env }}: {{ $value | int | toString | quote }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- if $meta.verifiesTokens }}
  JWKS_URL: {{ include "custody.jwksUrl" .root | quote }}
  {{- end }}
  {{- with .extra }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Adds the integer settings that are not null to a ConfigMap's extra data. Takes (dict "extra" DICT "ints" (dict ENV VALUE ...)); a null VALUE keeps the app's default. */}}
{{- define "custody.setOptionalInts" -}}
{{- $extra := .extra -}}
{{- range $env, $value := .ints -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $_ := set $extra $env ($value | int | toString) -}}
{{- end -}}
{{- end -}}
{{- end }}

{{- define "custody.serviceAccount" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
  {{- with $v.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}

{{- define "custody.service" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "custody.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
    # Prometheus metrics, on the apps' admin port (METRICS_PORT): never routed by an Ingress.
    - name: metrics
      port: {{ .root.Values.metrics.port | int }}
      targetPort: metrics
      protocol: TCP
{{- end }}

{{- define "custody.hpa" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
{{- $a := $v.autoscaling -}}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) }}{{ fail (printf "%s.autoscaling.minReplicas (%d) must not exceed maxReplicas (%d)" (include "custody.key" .) (int $a.minReplicas) (int $a.maxReplicas)) }}{{ end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "custody.fullname" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- if not (or $a.targetCPUUtilizationPercentage $a.targetMemoryUtilizationPercentage) }}
    {{- fail (printf "%s.autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" (include "custody.key" .)) }}
    {{- end }}
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "custody.pdb" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
spec:
  selector:
    matchLabels:
      {{- include "custody.selectorLabels" . | nindent 6 }}
  {{- if not (kindIs "invalid" $v.pdb.minAvailable) }}
  minAvailable: {{ $v.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  {{- end }}
  # Pods that are not Ready may always be evicted, so a crash-looping pod never blocks a node drain.
  unhealthyPodEvictionPolicy: AlwaysAllow
{{- end }}

{{- define "custody.serviceMonitor" -}}
{{- $sm := .root.Values.metrics.serviceMonitor -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "custody.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "custody.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "custody.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end }}

{{/* ---------------------------------------------------------------- NetworkPolicy pieces */}}

{{/* A NetworkPolicy ports list from numbers (TCP) or {port, protocol} objects. Takes the list; returns a list via fromYamlArray. */}}
{{- define "custody.npPorts" -}}
{{- $ports := list -}}
{{- range . -}}
  {{- if kindIs "map" . -}}
    {{- $ports = append $ports (dict "port" .port "protocol" (default "TCP" .protocol)) -}}
  {{- else -}}
    {{- $ports = append $ports (dict "port" . "protocol" "TCP") -}}
  {{- end -}}
{{- end -}}
{{- toYaml $ports -}}
{{- end }}

{{/* One egress rule: (dict "to" PEERS "ports" PORTS). An empty "to" means any destination on those ports. */}}
{{- define "custody.npEgressRule" -}}
{{- $rule := dict "ports" (include "custody.npPorts" .ports | fromYamlArray) -}}
{{- with .to }}{{ $_ := set $rule "to" . }}{{ end -}}
{{- toYaml (list $rule) -}}
{{- end }}

{{/* Egress to DNS, Kafka and PostgreSQL. Takes the root context. */}}
{{- define "custody.npBackendEgress" -}}
{{- $np := .Values.networkPolicy -}}
{{ include "custody.npEgressRule" (dict "to" $np.dns.to "ports" $np.dns.ports) }}
{{ include "custody.npEgressRule" (dict "to" $np.kafka.to "ports" $np.kafka.ports) }}
{{ include "custody.npEgressRule" (dict "to" $np.postgresql.to "ports" $np.postgresql.ports) }}
{{- end }}

{{/* Egress to another app of the release (its pods, on its container port). Takes the context dict of the target app. */}}
{{- define "custody.npEgressToApp" -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "custody.selectorLabels" . | nindent 10 }}
  ports:
    - port: {{ include "custody.port" . }}
      protocol: TCP
{{- end }}

{{/* A peer list selecting one app's pods. Takes the context dict of that app; use with fromYamlArray. */}}
{{- define "custody.npAppPeer" -}}
- podSelector:
    matchLabels:
      {{- include "custody.selectorLabels" . | nindent 6 }}
{{- end }}

{{/* Pod selector of the release's apps other than the given one. Takes the context dict. */}}
{{- define "custody.npPeerApps" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "custody.name" .root }}
      app.kubernetes.io/instance: {{ .root.Release.Name }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values:
          {{- range $app := list "ingest" "tenant-store" "consent" "marketing-export" "sandbox" }}
          {{- if ne $app $.app }}
          - {{ $app }}
          {{- end }}
          {{- end }}
{{- end }}

{{/* The parts every app's NetworkPolicy shares: metadata and pod selector. Takes the context dict. */}}
{{- define "custody.npHeader" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "custody.metadata" . | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "custody.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
{{- end }}

{{/* Ingress rules to the app's port, one per non-empty peer list. Takes (dict "ctx" CONTEXT "peers" (list PEERS...)); renders nothing when all are empty. */}}
{{/* Scrapers (`networkPolicy.metricsFrom`) to the admin port that serves /metrics only. Takes the root context. */}}
{{- define "custody.npMetricsFrom" -}}
{{- with .Values.networkPolicy.metricsFrom -}}
- from:
    {{- toYaml . | nindent 4 }}
  ports:
    - port: {{ $.Values.metrics.port | int }}
      protocol: TCP
{{- end -}}
{{- end }}

{{- define "custody.npIngressFrom" -}}
{{- $ports := list (dict "port" (include "custody.port" .ctx | int) "protocol" "TCP") -}}
{{- $rules := list -}}
{{- range .peers -}}
  {{- with . }}{{ $rules = append $rules (dict "from" . "ports" $ports) }}{{ end -}}
{{- end -}}
{{- with $rules }}{{ toYaml . }}{{ end -}}
{{- end }}

{{/* ---------------------------------------------------------------- Hook Jobs */}}

{{- define "custody.hookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- if .job }}
helm.sh/hook-output-log-policy: hook-failed
{{- end }}
{{- end }}

{{/* A migration Job for one app: node apps/<app>/dist/migrate.js with the owner role. Takes the context dict. */}}
{{- define "custody.migrationJob" -}}
{{- $v := index .root.Values (include "custody.key" .) -}}
{{- $ctx := dict "root" .root "app" "migrations" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "custody.fullname" . }}-migrate
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "custody.labels" $ctx | nindent 4 }}
    custody.io/app: {{ .app }}
  annotations:
    # Hooks run before any resource of the release is created or upgraded: the schema is migrated
    # before the new pods start. Lower weights run first: migrations (-20), then topics (-10).
    {{- include "custody.hookAnnotations" (dict "weight" -20 "job" true) | nindent 4 }}
spec:
  backoffLimit: {{ .root.Values.hooks.backoffLimit }}
  activeDeadlineSeconds: {{ .root.Values.hooks.migrationDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "custody.selectorLabels" $ctx | nindent 8 }}
        app.kubernetes.io/part-of: custody
        custody.io/app: {{ .app }}
      {{- with .root.Values.hooks.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "custody.prefix" .root }}-hooks
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "custody.podSecurityContext" .root | nindent 8 }}
      {{- with include "custody.imagePullSecrets" .root }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "custody.image" . | quote }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          workingDir: /app
          command: ["node", "apps/{{ .app }}/dist/migrate.js"]
          env:
            {{- include "custody.secretEnv" (dict "env" "MIGRATION_DATABASE_URL" "secret" .root.Values.database.migration.existingSecret "key" .root.Values.database.migration.urlKey "what" "database.migration.existingSecret (the owner role's PostgreSQL URL, MIGRATION_DATABASE_URL)") | nindent 12 }}
            {{- $db := index .root.Values.database (include "custody.key" .) }}
            {{- if eq $db.appRole $db.platformRole }}{{ fail (printf "database.%s: appRole and platformRole must differ (the platform role sees every tenant)" (include "custody.key" .)) }}{{ end }}
            - name: DATABASE_APP_ROLE
              value: {{ $db.appRole | quote }}
            - name: DATABASE_PLATFORM_ROLE
              value: {{ $db.platformRole | quote }}
            - name: LOG_LEVEL
              value: {{ default .root.Values.logLevel $v.logLevel | quote }}
            - name: NODE_OPTIONS
              value: {{ include "custody.nodeOptions" . | quote }}
            {{- if .root.Values.extraCaCertificates.existingSecret }}
            - name: NODE_EXTRA_CA_CERTS
              value: {{ include "custody.caPath" . | quote }}
            {{- end }}
          resources:
            {{- toYaml .root.Values.hooks.resources | nindent 12 }}
          securityContext:
            {{- include "custody.containerSecurityContext" .root | nindent 12 }}
          volumeMounts:
            {{- include "custody.commonVolumeMounts" .root | nindent 12 }}
      volumes:
        {{- include "custody.commonVolumes" .root | nindent 8 }}
{{- end }}

{{/* The ads platform's base URL (ADS_API_URL), for tenant-store's checks and the export. Takes the root context. */}}
{{- define "custody.adsApiUrl" -}}
{{- $v := .Values.marketingExport.adsApi -}}
{{- if $v.url -}}
{{- $v.url -}}
{{- else if .Values.sandbox.enabled -}}
{{- printf "http://%s:%d/ads" (include "custody.fullname" (dict "root" . "app" "sandbox")) (.Values.sandbox.service.port | int) -}}
{{- else -}}
https://graph.facebook.com
{{- end -}}
{{- end }}

{{/* ADS_CREDENTIAL_KEY (tenant-store seals the tenants' ads credentials for marketing-export). Takes the root context. */}}
{{- define "custody.adsCredentialKeyEnv" -}}
{{- include "custody.secretEnv" (dict "env" "ADS_CREDENTIAL_KEY" "secret" .Values.adsCredentialKey.existingSecret "key" .Values.adsCredentialKey.key "what" "adsCredentialKey.existingSecret (the key sealing tenants' ads credentials, ADS_CREDENTIAL_KEY)") }}
{{- end }}

{{/*
The master keys (MASTER_KEY_FILE), a file from the Secret tenantStore.masterKey names: tenant-store
wraps and unwraps the tenants' data keys with it; ingest and consent only unwrap the keys
tenant-store distributes (to seal and open message content). Mounted read-only, never an env var.
*/}}
{{- define "custody.masterKeyPath" -}}
/etc/custody/master-key/master-keys.json
{{- end }}

{{- define "custody.masterKeyVolumeMount" -}}
- name: master-key
  mountPath: /etc/custody/master-key
  readOnly: true
{{- end }}

{{- define "custody.masterKeyVolume" -}}
{{- $v := .Values.tenantStore.masterKey -}}
- name: master-key
  secret:
    secretName: {{ required "tenantStore.masterKey.existingSecret is required: the name of an existing Secret holding the master key (see docs/operations.md, \"Secrets to create\")" $v.existingSecret | quote }}
    defaultMode: 0440
    items:
      - key: {{ required "tenantStore.masterKey.key is required" $v.key | quote }}
        path: master-keys.json
{{- end }}
