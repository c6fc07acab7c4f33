/**
 * The Helm chart (deploy/helm/custody), checked without a cluster:
 * - `helm lint --strict` and `helm template` with the default and the production-like values;
 * - every rendered object validated by tools/k8s-validate for every targeted Kubernetes version
 *   (the API server's own decoding, defaulting and validation code, plus the restricted Pod
 *   Security Standard), which also turns the YAML into JSON for the assertions below;
 * - what must hold for an operator: probes, resources, security contexts, NetworkPolicies, PDBs,
 *   HPAs, hook order, secrets only by reference, the schema rejecting bad values, a current README;
 * - that every Deployment would start: the env each app's config class requires (read from its
 *   TypeScript source, see env-classes.ts) is rendered, and nothing it does not accept.
 *
 * Helm and the validators are built from the Go module proxy by scripts/helm.sh and
 * tools/k8s-validate/build.sh: minutes the first time, milliseconds once cached.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TOPIC_SPECS } from '@custody/contracts';
import { appEnv, envReadBy, EnvVarDecl, parseEnvClasses } from './env-classes';

const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/custody');
const PRODUCTION = join(CHART, 'ci/production-values.yaml');
const RELEASE = 'custody';
const NAMESPACE = 'custody';

const APPS = ['ingest', 'tenant-store', 'consent', 'marketing-export'] as const;
const ALL_APPS = [...APPS, 'sandbox'] as const;
type App = (typeof ALL_APPS)[number];
const PORTS: Record<App, { port: number; env: string }> = {
  ingest: { port: 3000, env: 'INGEST_PORT' },
  'tenant-store': { port: 3001, env: 'TENANT_STORE_PORT' },
  consent: { port: 3002, env: 'CONSENT_PORT' },
  'marketing-export': { port: 3003, env: 'MARKETING_EXPORT_PORT' },
  sandbox: { port: 3004, env: 'SANDBOX_PORT' },
};
const MIGRATING_APPS = ['ingest', 'tenant-store', 'consent', 'marketing-export'];
/** Variables Node itself reads; the chart may set them on any container. */
const NODE_RUNTIME_ENV = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];
/** What every Node container's NODE_OPTIONS holds: kafkajs 2.2.4 schedules a negative timer on Node 24 (tulios/kafkajs#1751). */
const NODE_OPTIONS = '--disable-warning=TimeoutNegativeWarning';
/** Environment variables that carry secrets: they may only come from a secretKeyRef. */
const SECRET_ENV = [
  'ADS_CREDENTIAL_KEY',
  'DATABASE_URL',
  'DATABASE_PLATFORM_URL',
  'MIGRATION_DATABASE_URL',
  'KAFKA_SASL_PASSWORD',
  'NETWORK_HMAC_SECRET',
  'SANDBOX_ADS_ACCESS_TOKEN',
  'OPERATOR_CLIENT_ID',
  'OPERATOR_CLIENT_SECRET',
];

type Json = any;
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
  data?: Record<string, string>;
}
interface Validator {
  minor: string; // "1.35"
  path: string;
}
interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Result {
  const res = spawnSync(command, args, { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) {
    throw res.error;
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function mustRun(command: string, args: string[], input?: string): string {
  const res = run(command, args, input);
  if (res.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${res.status}:\n${res.stderr}${res.stdout}`);
  }
  return res.stdout;
}

// Each test runs helm and the validators a few times; generous for a loaded machine.
jest.setTimeout(60_000);

let helm: string;
let validators: Validator[];

function template(args: string[], kubeVersion = '1.37.0'): Result {
  return run(helm, ['template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', kubeVersion, ...args]);
}

function renderYaml(args: string[], kubeVersion?: string): string {
  const res = template(args, kubeVersion);
  if (res.status !== 0) {
    throw new Error(`helm template ${args.join(' ')} failed:\n${res.stderr}`);
  }
  return res.stdout;
}

/** Validates with one Kubernetes version's validator and returns the objects as JSON. */
function validate(validator: Validator, yaml: string): K8sObject[] {
  const res = run(validator.path, ['--json', '--quiet'], yaml);
  if (res.status !== 0) {
    throw new Error(`k8s-validate for Kubernetes ${validator.minor} rejected the manifests:\n${res.stderr}`);
  }
  return JSON.parse(res.stdout) as K8sObject[];
}

function render(args: string[]): K8sObject[] {
  return validate(validators[validators.length - 1], renderYaml(args));
}

const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  production: ['-f', PRODUCTION],
  'defaults + sandbox': ['--set', 'sandbox.enabled=true'],
};

const component = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    throw new Error(`no ${kind} ${name} among: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  }
  return found;
};
const podSpecOf = (o: K8sObject): Json => o.spec.template.spec;
const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const hookWeight = (o: K8sObject) => Number(o.metadata.annotations?.['helm.sh/hook-weight'] ?? '0');
const hookEvents = (o: K8sObject) => (o.metadata.annotations?.['helm.sh/hook'] ?? '').split(',').filter(Boolean);

/** A container's environment as the kubelet builds it: its ConfigMaps (envFrom), then `env` on top (a secretKeyRef has no value here). */
function containerEnv(objects: K8sObject[], container: Json): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) {
      throw new Error(`unexpected envFrom source ${JSON.stringify(source)}`);
    }
    for (const [key, value] of Object.entries(find(objects, 'ConfigMap', source.configMapRef.name).data ?? {})) {
      env.set(key, value);
    }
  }
  for (const e of container.env ?? []) {
    env.set(e.name, e.value);
  }
  return env;
}

/** Whether `path` is a file the container reads from a mounted Secret (a volume item of a secret volume). */
function mountedFromSecret(pod: Json, container: Json, path: string): boolean {
  return (container.volumeMounts ?? []).some((mount: Json) => {
    if (!path.startsWith(`${mount.mountPath}/`)) {
      return false;
    }
    const volume = (pod.volumes ?? []).find((v: Json) => v.name === mount.name);
    return (volume?.secret?.items ?? []).some((item: Json) => item.path === path.slice(mount.mountPath.length + 1));
  });
}

/** The app's Deployment, its pod spec, its container and that container's environment. */
function appWorkload(objects: K8sObject[], app: App) {
  const deployment = find(objects, 'Deployment', `${RELEASE}-${app}`);
  const pod = podSpecOf(deployment);
  const [container] = pod.containers;
  return { deployment, pod, container, env: containerEnv(objects, container) };
}

/**
 * Required variables the chart may leave out, by value set and app. Only one: with the plain defaults
 * ingest has no messaging network to talk to (ingest.networkUrl is empty and the sandbox is off); the
 * defaults still render, NOTES.txt warns, and ingest's config check names NETWORK_URL at start.
 */
const KNOWN_GAPS: Record<string, Partial<Record<App, string[]>>> = {
  defaults: { ingest: ['NETWORK_URL'] },
};

/** Integer values the chart passes to an app, and the variable each becomes (its range is the app's `@EnvInt`). */
const INT_VALUES: Record<string, [App, string]> = {
  'rateLimits.apiPerSecond': ['consent', 'RATE_LIMIT_API_PER_SECOND'],
  'rateLimits.apiBurst': ['marketing-export', 'RATE_LIMIT_API_BURST'],
  'rateLimits.tokenPerMinute': ['tenant-store', 'RATE_LIMIT_TOKEN_PER_MINUTE'],
  'ingest.webhooks.concurrency': ['ingest', 'WEBHOOK_CONCURRENCY'],
  'ingest.webhooks.retryHorizonSeconds': ['ingest', 'WEBHOOK_RETRY_HORIZON_SECONDS'],
  'ingest.webhooks.retryBaseMs': ['ingest', 'WEBHOOK_RETRY_BASE_MS'],
  'ingest.webhooks.timeoutMs': ['ingest', 'WEBHOOK_TIMEOUT_MS'],
  'ingest.webhooks.directTimeoutMs': ['ingest', 'WEBHOOK_DIRECT_TIMEOUT_MS'],
  'ingest.webhooks.directPauseMs': ['ingest', 'WEBHOOK_DIRECT_PAUSE_MS'],
  'ingest.admission.maxPendingSends': ['ingest', 'INGEST_MAX_PENDING_SENDS'],
  'ingest.admission.shedEventLoopDelayMs': ['ingest', 'INGEST_SHED_EVENT_LOOP_DELAY_MS'],
  'ingest.pairRate.burst': ['ingest', 'PAIR_RATE_BURST'],
  'ingest.pairRate.intervalMs': ['ingest', 'PAIR_RATE_INTERVAL_MS'],
  'ingest.sendTimeoutMs': ['ingest', 'SEND_TIMEOUT_MS'],
  'ingest.retention.purgeIntervalSeconds': ['ingest', 'RETENTION_PURGE_INTERVAL_SECONDS'],
  'ingest.retention.batchSize': ['ingest', 'RETENTION_BATCH_SIZE'],
  'tenantStore.tokenTtlSeconds': ['tenant-store', 'TOKEN_TTL_SECONDS'],
  'tenantStore.adsApiTimeoutMs': ['tenant-store', 'ADS_API_TIMEOUT_MS'],
  'tenantStore.retention.purgeIntervalSeconds': ['tenant-store', 'RETENTION_PURGE_INTERVAL_SECONDS'],
  'tenantStore.retention.batchSize': ['tenant-store', 'RETENTION_BATCH_SIZE'],
  'tenantStore.retention.minDays': ['tenant-store', 'RETENTION_MIN_DAYS'],
  'tenantStore.retention.maxDays': ['tenant-store', 'RETENTION_MAX_DAYS'],
  'consent.sthIntervalSeconds': ['consent', 'CONSENT_STH_INTERVAL_SECONDS'],
  'consent.sthMaxAgeSeconds': ['consent', 'CONSENT_STH_MAX_AGE_SECONDS'],
  'consent.appendBatchMax': ['consent', 'CONSENT_APPEND_BATCH_MAX'],
  'marketingExport.adsApi.timeoutMs': ['marketing-export', 'ADS_API_TIMEOUT_MS'],
  'marketingExport.export.consentGraceMs': ['marketing-export', 'EXPORT_CONSENT_GRACE_MS'],
  'marketingExport.export.pollIntervalMs': ['marketing-export', 'EXPORT_POLL_INTERVAL_MS'],
  'marketingExport.export.retryBaseMs': ['marketing-export', 'EXPORT_RETRY_BASE_MS'],
  'marketingExport.export.retryMaxMs': ['marketing-export', 'EXPORT_RETRY_MAX_MS'],
  'marketingExport.export.maxAttempts': ['marketing-export', 'EXPORT_MAX_ATTEMPTS'],
  'sandbox.network.duplicatePercent': ['sandbox', 'NETWORK_DUPLICATE_PERCENT'],
  'sandbox.network.maxDelayMs': ['sandbox', 'NETWORK_MAX_DELAY_MS'],
  'sandbox.ads.maxMembers': ['sandbox', 'SANDBOX_ADS_MAX_MEMBERS'],
  'sandbox.ads.maxEvents': ['sandbox', 'SANDBOX_ADS_MAX_EVENTS'],
  'sandbox.ads.maxObjects': ['sandbox', 'SANDBOX_ADS_MAX_OBJECTS'],
};

/** Settings of the apps the chart deliberately never sets, and why. */
const NOT_EXPOSED: Record<string, string> = {
  EGRESS_ALLOW_LOOPBACK:
    'local development and tests only: a deployment never lets tenant-chosen URLs reach loopback (docs/security.md)',
  KAFKA_NEW_GROUP_START:
    'test harnesses only: a new consumer group must start at the earliest offset (the app default)',
  CONSENT_CONSUMER_GROUP:
    'kafka.groupPrefix already separates environments; renaming the group would reprocess the topic',
  MARKETING_EXPORT_CONSUMER_GROUP:
    'kafka.groupPrefix already separates environments; renaming the groups would rebuild the consent view and re-read candidates',
};

beforeAll(() => {
  helm = mustRun('bash', [join(ROOT, 'scripts/helm.sh')]).trim();
  validators = mustRun('bash', [join(ROOT, 'tools/k8s-validate/build.sh')])
    .trim()
    .split('\n')
    .map((path) => ({ path, minor: path.replace(/^.*k8s-validate-/, '') }))
    .sort((a, b) => Number(a.minor.split('.')[1]) - Number(b.minor.split('.')[1]));
}, 30 * 60_000);

describe('tooling', () => {
  it('targets at least two Kubernetes minor versions, each validator reporting its own', () => {
    expect(validators.length).toBeGreaterThanOrEqual(2);
    for (const v of validators) {
      expect(mustRun(v.path, ['--version']).trim()).toMatch(new RegExp(`^v${v.minor.replace('.', '\\.')}\\.\\d+$`));
    }
  });

  it('the validator is not a rubber stamp: it rejects unknown fields, API-server-invalid objects and unknown kinds', () => {
    const bad = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: bad}',
      'spec:',
      '  selector: {matchLabels: {app: a}}',
      '  template:',
      '    metadata: {labels: {app: b}}',
      '    spec:',
      '      containers:',
      '        - name: c',
      '          image: x',
      '          readinessprobe: {}',
      '---',
      'apiVersion: policy/v1beta1',
      'kind: PodDisruptionBudget',
      'metadata: {name: old}',
      '',
    ].join('\n');
    for (const v of validators) {
      const res = run(v.path, [], bad);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('unknown field "spec.template.spec.containers[0].readinessprobe"');
      expect(res.stderr).toContain('`selector` does not match template `labels`');
      expect(res.stderr).toContain('runAsNonRoot');
      expect(res.stderr).toContain('"policy/v1beta1" kind "PodDisruptionBudget" is not known');
    }
  });
});

describe('helm lint --strict', () => {
  it.each(Object.entries(VALUE_SETS))('passes with %s', (_name, args) => {
    const res = run(helm, ['lint', '--strict', CHART, ...args]);
    expect(res.stderr + res.stdout).toContain('0 chart(s) failed');
    expect(res.status).toBe(0);
  });
});

describe('rendered manifests are valid for every targeted Kubernetes version', () => {
  it.each(Object.entries(VALUE_SETS))('%s', (_name, args) => {
    for (const v of validators) {
      const objects = validate(v, renderYaml(args, `${v.minor}.0`));
      expect(objects.length).toBeGreaterThan(30);
    }
  });
});

describe.each(Object.entries(VALUE_SETS))('with %s values', (name, args) => {
  let objects: K8sObject[];
  const apps: readonly App[] = name.includes('sandbox') ? ALL_APPS : APPS;
  beforeAll(() => {
    objects = render(args);
  });

  it('every container (Jobs included) has requests and limits and the secure securityContext', () => {
    const pods = workloads(objects);
    expect(pods.length).toBeGreaterThanOrEqual(apps.length + MIGRATING_APPS.length + 1);
    for (const w of pods) {
      const pod = podSpecOf(w);
      expect(pod.automountServiceAccountToken).toBe(false);
      const containers = [...(pod.initContainers ?? []), ...pod.containers];
      for (const c of containers) {
        const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
        for (const kind of ['requests', 'limits']) {
          expect({ where, cpu: c.resources?.[kind]?.cpu }).toEqual({ where, cpu: expect.anything() });
          expect({ where, memory: c.resources?.[kind]?.memory }).toEqual({ where, memory: expect.anything() });
        }
        const sc = c.securityContext ?? {};
        const effective = {
          runAsNonRoot: sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
          runAsUser: sc.runAsUser ?? pod.securityContext?.runAsUser,
          seccomp: (sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type,
          readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
          allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
          dropsAll: (sc.capabilities?.drop ?? []).includes('ALL'),
          tmp: (c.volumeMounts ?? []).some((m: Json) => m.mountPath === '/tmp'),
        };
        expect({ where, ...effective }).toEqual({
          where,
          runAsNonRoot: true,
          runAsUser: 10001,
          seccomp: 'RuntimeDefault',
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          dropsAll: true,
          tmp: true,
        });
      }
    }
  });

  it('every app runs node apps/<app>/dist/main.js on its port, bound to 0.0.0.0, with liveness and readiness probes', () => {
    for (const app of apps) {
      const deployment = find(objects, 'Deployment', `${RELEASE}-${app}`);
      const [container] = podSpecOf(deployment).containers;
      expect(container.command).toEqual(['node', `apps/${app}/dist/main.js`]);
      expect(container.ports).toEqual([
        { name: 'http', containerPort: PORTS[app].port, protocol: 'TCP' },
        // /metrics only, on the admin port (METRICS_PORT); it answers 404 on the API port.
        { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
      ]);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      const config = find(objects, 'ConfigMap', `${RELEASE}-${app}`);
      expect(container.envFrom).toEqual([{ configMapRef: { name: config.metadata.name } }]);
      expect(config.data?.HTTP_HOST).toBe('0.0.0.0');
      expect(config.data?.[PORTS[app].env]).toBe(String(PORTS[app].port));
      expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('every app has a Service, ServiceAccount, HPA, PDB and NetworkPolicy that select its pods', () => {
    for (const app of apps) {
      const name = `${RELEASE}-${app}`;
      const deployment = find(objects, 'Deployment', name);
      const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
      const selects = (selector: Record<string, string>) =>
        Object.entries(selector).every(([k, v]) => podLabels[k] === v) && Object.keys(selector).length > 0;

      expect(selects(find(objects, 'Service', name).spec.selector)).toBe(true);
      expect(podSpecOf(deployment).serviceAccountName).toBe(find(objects, 'ServiceAccount', name).metadata.name);
      const hpa = find(objects, 'HorizontalPodAutoscaler', name);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(deployment.spec.replicas).toBeUndefined(); // the HPA owns the replica count
      expect(selects(find(objects, 'PodDisruptionBudget', name).spec.selector.matchLabels)).toBe(true);
      const policy = find(objects, 'NetworkPolicy', name);
      expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    }
  });

  it('NetworkPolicies: ingest is public, the others accept only listed peers; egress is always port-scoped', () => {
    const policies = Object.fromEntries(
      apps.map((app) => [app, find(objects, 'NetworkPolicy', `${RELEASE}-${app}`).spec]),
    );
    expect(policies.ingest.ingress).toContainEqual({ ports: [{ port: 3000, protocol: 'TCP' }] });
    for (const app of apps.filter((a) => a !== 'ingest')) {
      for (const rule of policies[app].ingress ?? []) {
        expect({ app, from: rule.from?.length ?? 0 }).toEqual({ app, from: expect.any(Number) });
        expect(rule.from.length).toBeGreaterThan(0);
        expect([[{ port: PORTS[app].port, protocol: 'TCP' }], [{ port: 9464, protocol: 'TCP' }]]).toContainEqual(
          rule.ports,
        );
      }
    }
    // Scrapers reach the admin port only, and nothing else reaches it.
    for (const app of apps) {
      const metricsRules = (policies[app].ingress ?? []).filter((r: Json) => r.ports?.[0]?.port === 9464);
      expect({ app, rules: metricsRules.length }).toEqual({ app, rules: 1 });
    }
    for (const app of apps) {
      const egress: Json[] = policies[app].egress;
      for (const rule of egress) {
        expect({ app, ports: rule.ports?.length ?? 0 }).not.toEqual({ app, ports: 0 });
      }
      const ports = egress.flatMap((r) => r.ports.map((p: Json) => p.port));
      expect(ports).toContain(53);
      if (app !== 'sandbox') {
        expect(ports).toContain(5432);
        expect(ports).toEqual(expect.arrayContaining([name === 'production' ? 9093 : 9092]));
      }
      if (app !== 'tenant-store' && app !== 'sandbox') {
        expect(ports).toContain(3001); // JWKS at tenant-store
      }
    }
    expect(policies.ingest.egress.flatMap((r: Json) => r.ports.map((p: Json) => p.port))).toContain(443);
    expect(policies['marketing-export'].egress.flatMap((r: Json) => r.ports.map((p: Json) => p.port))).toContain(443);
    // tenant-store checks a tenant's ads credential and the owner of an audience at the ads platform.
    expect(policies['tenant-store'].egress.flatMap((r: Json) => r.ports.map((p: Json) => p.port))).toContain(443);
  });

  it('migrations run as pre-install/pre-upgrade hooks before the topic Job, with the owner role only', () => {
    const topics = find(objects, 'Job', `${RELEASE}-topics`);
    expect(hookEvents(topics).sort()).toEqual(['pre-install', 'pre-upgrade']);
    for (const app of MIGRATING_APPS) {
      const job = find(objects, 'Job', `${RELEASE}-${app}-migrate`);
      expect(hookEvents(job).sort()).toEqual(['pre-install', 'pre-upgrade']);
      expect(hookWeight(job)).toBeLessThan(hookWeight(topics));
      const [container] = podSpecOf(job).containers;
      expect(container.command).toEqual(['node', `apps/${app}/dist/migrate.js`]);
      const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e]));
      expect(env.MIGRATION_DATABASE_URL.valueFrom.secretKeyRef.name).toBeTruthy();
      expect(env.DATABASE_URL).toBeUndefined();
      expect(env.DATABASE_PLATFORM_URL).toBeUndefined();
      // Each service's Job grants its own two roles, and only those, rights in its schema.
      const schema = app.replace(/-/g, '_');
      expect(env.DATABASE_APP_ROLE.value).toBe(`custody_${schema}`);
      expect(env.DATABASE_PLATFORM_ROLE.value).toBe(`custody_${schema}_platform`);
    }
    // What the hook Jobs use exists before them (hooks run before the release's other objects).
    for (const kind of ['ServiceAccount', 'NetworkPolicy']) {
      const hookObject = find(objects, kind, `${RELEASE}-hooks`);
      expect(hookEvents(hookObject).sort()).toEqual(['pre-install', 'pre-upgrade']);
      expect(hookWeight(hookObject)).toBeLessThan(
        Math.min(
          ...workloads(objects)
            .filter((w) => w.kind === 'Job')
            .map(hookWeight),
        ),
      );
    }
    // The apps are not hooks: Helm creates them only after every pre-install hook succeeded.
    for (const deployment of ofKind(objects, 'Deployment')) {
      expect(deployment.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
      const envNames = podSpecOf(deployment).containers.flatMap((c: Json) => (c.env ?? []).map((e: Json) => e.name));
      expect(envNames).not.toContain('MIGRATION_DATABASE_URL');
    }
    // Each service's Deployment logs in with its own Secret's URLs (its own roles), no other's.
    const secrets = MIGRATING_APPS.map((app) => {
      const [container] = podSpecOf(find(objects, 'Deployment', `${RELEASE}-${app}`)).containers;
      const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e]));
      expect(env.DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: `custody-db-${app}`, key: 'app-uri' });
      expect(env.DATABASE_PLATFORM_URL.valueFrom.secretKeyRef).toEqual({
        name: `custody-db-${app}`,
        key: 'platform-uri',
      });
      return env.DATABASE_URL.valueFrom.secretKeyRef.name;
    });
    expect(new Set(secrets).size).toBe(MIGRATING_APPS.length);
  });

  it('the topic Job gives create-topics.js exactly the settings it reads: partitions and replication factor', () => {
    const [container] = podSpecOf(find(objects, 'Job', `${RELEASE}-topics`)).containers;
    expect(container.command).toEqual(['node', 'libs/kafka/dist/create-topics.js']);
    const env: Record<string, string> = Object.fromEntries(
      container.env.filter((e: Json) => e.value !== undefined).map((e: Json) => [e.name, e.value]),
    );
    // The topics themselves (and which are compacted) are @custody/contracts' TOPIC_SPECS, built into the image.
    expect(env.KAFKA_TOPIC_PARTITIONS).toBe(name === 'production' ? '24' : '12');
    expect(env.KAFKA_TOPIC_REPLICATION_FACTOR).toBe('3');
    const reads = new Set([
      ...envReadBy(readFileSync(join(ROOT, 'libs/kafka/src/create-topics.ts'), 'utf8')),
      ...envReadBy(readFileSync(join(ROOT, 'libs/kafka/src/kafka-settings.ts'), 'utf8')),
    ]);
    expect([...reads]).toEqual(
      expect.arrayContaining(['KAFKA_TOPIC_PARTITIONS', 'KAFKA_TOPIC_REPLICATION_FACTOR', 'KAFKA_BROKERS']),
    );
    const unread = container.env
      .map((e: Json) => e.name)
      .filter((n: string) => !reads.has(n) && !NODE_RUNTIME_ENV.includes(n));
    expect(unread).toEqual([]);
    // docs/operations.md lists the topics for those who create them as KafkaTopic resources instead.
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    expect(TOPIC_SPECS.map((t) => t.name).filter((topic) => !operations.includes(`\`${topic}\``))).toEqual([]);
  });

  it('no secret is rendered: no Secret objects, and secret env vars come only from secretKeyRef', () => {
    expect(ofKind(objects, 'Secret')).toEqual([]);
    for (const w of workloads(objects)) {
      for (const c of podSpecOf(w).containers) {
        for (const e of c.env ?? []) {
          if (SECRET_ENV.includes(e.name)) {
            expect({
              where: `${w.metadata.name} ${e.name}`,
              value: e.value,
              ref: Boolean(e.valueFrom?.secretKeyRef),
            }).toEqual({
              where: `${w.metadata.name} ${e.name}`,
              value: undefined,
              ref: true,
            });
          }
        }
      }
    }
    for (const config of ofKind(objects, 'ConfigMap')) {
      expect(Object.keys(config.data ?? {}).filter((k) => SECRET_ENV.includes(k))).toEqual([]);
    }
  });

  it("every Deployment gets each variable its app's config class requires; key files are mounted from Secrets", () => {
    for (const app of apps) {
      const { className, vars } = appEnv(ROOT, app);
      const { pod, container, env } = appWorkload(objects, app);
      const required = vars.filter((v) => v.required);
      expect(required.length).toBeGreaterThan(0);
      const missing = required.filter((v) => !env.has(v.name)).map((v) => v.name);
      expect({ app, className, missing }).toEqual({ app, className, missing: KNOWN_GAPS[name]?.[app] ?? [] });
      for (const v of required.filter((r) => r.name.endsWith('_FILE') && env.has(r.name))) {
        const path = env.get(v.name) ?? '';
        expect({ app, env: v.name, path, fromSecret: mountedFromSecret(pod, container, path) }).toEqual({
          app,
          env: v.name,
          path,
          fromSecret: true,
        });
      }
    }
  });

  it('every Deployment sets only variables its app accepts (or Node reads); none sets KAFKA_NEW_GROUP_START', () => {
    for (const app of apps) {
      const accepted = new Set([...appEnv(ROOT, app).vars.map((v) => v.name), ...NODE_RUNTIME_ENV]);
      const { env } = appWorkload(objects, app);
      expect({ app, unknown: [...env.keys()].filter((k) => !accepted.has(k)) }).toEqual({ app, unknown: [] });
      expect(env.has('KAFKA_NEW_GROUP_START')).toBe(false);
    }
    for (const w of workloads(objects)) {
      for (const c of podSpecOf(w).containers) {
        expect(containerEnv(objects, c).get('KAFKA_NEW_GROUP_START') ?? 'earliest').toBe('earliest');
      }
    }
  });

  it("every Node container (apps and hook Jobs) has NODE_OPTIONS that silences kafkajs' TimeoutNegativeWarning", () => {
    for (const w of workloads(objects)) {
      for (const c of [...(podSpecOf(w).initContainers ?? []), ...podSpecOf(w).containers]) {
        const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
        expect({ where, command: c.command[0] }).toEqual({ where, command: 'node' });
        expect({ where, nodeOptions: containerEnv(objects, c).get('NODE_OPTIONS') }).toEqual({
          where,
          nodeOptions: NODE_OPTIONS,
        });
      }
    }
  });
});

describe('secrets are only ever references', () => {
  const SENTINEL = 'sentinel-4f1d9c';

  it.each([
    'database.password',
    'database.url',
    'database.migration.password',
    'kafka.sasl.password',
    'tenantStore.masterKey.value',
    'tenantStore.signingKeys.keys',
    'tenantStore.operatorCredentials.clientSecret',
    'ingest.networkHmacSecret.value',
    'consent.logKey.value',
    'consent.logKey.keys',
  ])('the schema has no place for a secret value: %s is rejected and not rendered', (key) => {
    const res = template(['-f', PRODUCTION, '--set-string', `${key}=${SENTINEL}-value`]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('additional properties');
    expect(res.stdout + res.stderr).not.toContain(`${SENTINEL}-value`);
  });

  it('secret names and keys appear only where Kubernetes resolves them (secretKeyRef, secret volumes)', () => {
    const refs = [
      'database.urlKey',
      'database.platformUrlKey',
      'database.tenantStore.existingSecret',
      'database.ingest.existingSecret',
      'database.consent.existingSecret',
      'database.marketingExport.existingSecret',
      'database.migration.existingSecret',
      'database.migration.urlKey',
      'kafka.sasl.existingSecret',
      'kafka.sasl.passwordKey',
      'extraCaCertificates.existingSecret',
      'extraCaCertificates.key',
      'tenantStore.signingKeys.existingSecret',
      'tenantStore.signingKeys.key',
      'tenantStore.masterKey.existingSecret',
      'tenantStore.masterKey.key',
      'tenantStore.operatorCredentials.existingSecret',
      'tenantStore.operatorCredentials.clientIdKey',
      'tenantStore.operatorCredentials.clientSecretKey',
      'ingest.networkHmacSecret.existingSecret',
      'ingest.networkHmacSecret.key',
      'consent.logKey.existingSecret',
      'consent.logKey.key',
    ];
    const args = ['-f', PRODUCTION, ...refs.flatMap((key, i) => ['--set-string', `${key}=${SENTINEL}-${i}`])];
    const objects = render(args);
    const found: string[] = [];
    const walk = (node: Json, path: string[]) => {
      if (typeof node === 'string' && node.includes(SENTINEL)) {
        found.push(path.join('.'));
        const allowed =
          /\.secretKeyRef\.(name|key)$/.test(path.join('.')) ||
          /\.volumes\.\d+\.secret\.(secretName|items\.\d+\.key)$/.test(path.join('.'));
        expect({ path: path.join('.'), allowed }).toEqual({ path: path.join('.'), allowed: true });
      } else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          walk(v, [...path, k]);
        }
      }
    };
    objects.forEach((o, i) => walk(o, [`${i}:${o.kind}/${o.metadata.name}`]));
    expect(found.length).toBeGreaterThan(refs.length);
  });

  it.each([
    ['database.ingest.existingSecret', 'database.ingest.existingSecret'],
    ['database.marketingExport.existingSecret', 'database.marketingExport.existingSecret'],
    ['database.migration.existingSecret', 'database.migration.existingSecret'],
    ['tenantStore.signingKeys.existingSecret', 'tenantStore.signingKeys.existingSecret'],
    ['tenantStore.masterKey.existingSecret', 'tenantStore.masterKey.existingSecret'],
    ['tenantStore.operatorCredentials.existingSecret', 'tenantStore.operatorCredentials.existingSecret'],
    ['ingest.networkHmacSecret.existingSecret', 'ingest.networkHmacSecret.existingSecret'],
    ['consent.logKey.existingSecret', 'consent.logKey.existingSecret'],
  ])('refuses to render without %s', (key, message) => {
    const res = template(['--set', `${key}=`]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`${message}`);
    expect(res.stderr).toContain('is required');
  });

  it('refuses a service whose application and platform roles are one (the platform role sees every tenant)', () => {
    const res = template(['--set', 'database.ingest.platformRole=custody_ingest']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('database.ingest: appRole and platformRole must differ');
  });

  it('refuses SASL without a password Secret', () => {
    const res = template(['--set', 'kafka.sasl.mechanism=scram-sha-512', '--set', 'kafka.sasl.username=custody']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('kafka.sasl.existingSecret');
  });
});

describe('values.schema.json rejects bad values with the field named', () => {
  it.each<[string[], string, string]>([
    [['--set', 'ingest.replicaCount=two'], '/ingest/replicaCount', 'want integer'],
    [['--set', 'ingest.bogus=1'], '/ingest', "'bogus' not allowed"],
    [['--set', 'bogus=1'], "'bogus' not allowed", 'additional properties'],
    [['--set', 'kafka.sasl.mechanism=gssapi'], '/kafka/sasl/mechanism', 'must be one of'],
    [['--set', 'kafka.brokers={kafka}'], '/kafka/brokers/0', 'kafka'],
    [['--set', 'tenantStore.autoscaling.maxReplicas=0'], '/tenantStore/autoscaling/maxReplicas', 'minimum'],
    [['--set', 'consent.resources.limits=null'], '/consent/resources', 'limits'],
    [
      ['--set', 'containerSecurityContext.allowPrivilegeEscalation=true'],
      '/containerSecurityContext/allowPrivilegeEscalation',
      'false',
    ],
    [['--set', 'logLevel=verbose'], '/logLevel', 'must be one of'],
    [['--set', 'kafka.topicPrefix=team/a'], '/kafka/topicPrefix', 'does not match pattern'],
    [['--set', 'kafka.topicPrefix='], '/kafka/topicPrefix', 'does not match pattern'],
    [['--set', 'kafka.groupPrefix=a b'], '/kafka/groupPrefix', 'does not match pattern'],
  ])('%j', (args, field, detail) => {
    const res = template(args);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain("values don't meet the specifications of the schema");
    expect(res.stderr).toContain(field);
    expect(res.stderr).toContain(detail);
  });

  it('helm lint --strict fails on the same values', () => {
    const res = run(helm, ['lint', '--strict', CHART, '--set', 'ingest.replicaCount=two']);
    expect(res.status).not.toBe(0);
    expect(res.stdout + res.stderr).toContain('/ingest/replicaCount');
  });
});

describe('the sandbox', () => {
  it('is not rendered unless enabled', () => {
    expect(render([]).filter((o) => component(o) === 'sandbox' || o.metadata.name.includes('sandbox'))).toEqual([]);
  });

  it('renders all its objects when enabled, and the others may then reach it', () => {
    const objects = render(['--set', 'sandbox.enabled=true']);
    const kinds = objects.filter((o) => component(o) === 'sandbox').map((o) => o.kind);
    expect(kinds.sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    expect(find(objects, 'ConfigMap', `${RELEASE}-ingest`).data?.NETWORK_URL).toBe(`http://${RELEASE}-sandbox:3004`);
    expect(find(objects, 'ConfigMap', `${RELEASE}-sandbox`).data?.INGEST_URL).toBe(`http://${RELEASE}-ingest:3000`);
    const ingestEgress: Json[] = find(objects, 'NetworkPolicy', `${RELEASE}-ingest`).spec.egress;
    expect(ingestEgress.some((r) => r.ports.some((p: Json) => p.port === 3004))).toBe(true);
  });
});

describe('configuration', () => {
  it('a config change changes checksum/config, so the pods roll', () => {
    const checksum = (objects: K8sObject[]) =>
      find(objects, 'Deployment', `${RELEASE}-consent`).spec.template.metadata.annotations['checksum/config'];
    expect(checksum(render(['--set', 'logLevel=debug']))).not.toBe(checksum(render([])));
  });

  it('kafka.topicPrefix names the topics of every Kafka app and of the topic Job; the groups follow it unless kafka.groupPrefix is set', () => {
    const topicsJobEnv = (objects: K8sObject[]) =>
      containerEnv(objects, podSpecOf(find(objects, 'Job', `${RELEASE}-topics`)).containers[0]);
    const defaults = render([]);
    for (const app of APPS) {
      expect({ app, prefix: appWorkload(defaults, app).env.get('KAFKA_TOPIC_PREFIX') }).toEqual({
        app,
        prefix: 'custody',
      });
    }
    const staging = render(['--set', 'kafka.topicPrefix=staging-eu']);
    for (const app of APPS) {
      const { env } = appWorkload(staging, app);
      expect({ app, topics: env.get('KAFKA_TOPIC_PREFIX'), groups: env.get('KAFKA_GROUP_PREFIX') }).toEqual({
        app,
        topics: 'staging-eu',
        groups: undefined, // the apps then use the topic prefix
      });
    }
    expect(topicsJobEnv(staging).get('KAFKA_TOPIC_PREFIX')).toBe('staging-eu');
    const grouped = render(['--set', 'kafka.topicPrefix=staging-eu', '--set', 'kafka.groupPrefix=staging-groups']);
    expect(appWorkload(grouped, 'ingest').env.get('KAFKA_GROUP_PREFIX')).toBe('staging-groups');
  });

  it('every app verifies tokens against tenant-store by default', () => {
    const objects = render([]);
    for (const app of ['ingest', 'consent', 'marketing-export']) {
      expect(find(objects, 'ConfigMap', `${RELEASE}-${app}`).data?.JWKS_URL).toBe(
        `http://${RELEASE}-tenant-store:3001/.well-known/jwks.json`,
      );
    }
  });

  it('production values: Kafka over TLS with SASL, the extra CA, ServiceMonitors, an Ingress for ingest', () => {
    const objects = render(['-f', PRODUCTION]);
    const config = find(objects, 'ConfigMap', `${RELEASE}-consent`).data!;
    expect(config.KAFKA_SSL).toBe('true');
    expect(config.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    expect(config.NODE_EXTRA_CA_CERTS).toBe('/etc/custody/ca/ca.crt');
    expect(
      ofKind(objects, 'ServiceMonitor')
        .map((o) => component(o))
        .sort(),
    ).toEqual([...APPS].sort());
    expect(find(objects, 'Ingress', `${RELEASE}-ingest`).spec.rules[0].host).toBe('api.custody.example.com');
  });

  it('the chart README is generated from values.yaml and up to date', () => {
    const res = run(process.execPath, [join(ROOT, 'deploy/helm/generate-readme.mjs'), '--check']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

describe("the apps' config classes and the chart's values", () => {
  /** The JSON schema node of a dotted values path. */
  const schemaAt = (path: string): Json =>
    path
      .split('.')
      .reduce(
        (node: Json, key) => node?.properties?.[key],
        JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')),
      );

  it('the env-class reader finds required, optional, defaulted and ranged properties and the parent class', () => {
    const source = [
      "import { IsOptional, IsString } from 'class-validator';",
      '',
      '/** A sample. */',
      'export class SampleEnv extends BaseEnv {',
      '  /**',
      '   * A required file: NOT_A_PROPERTY = 1;',
      '   */',
      '  @IsString()',
      '  @IsNotEmpty()',
      '  REQUIRED_FILE: string;',
      '',
      '  @IsOptional()',
      "  @Matches(/^[A-Za-z0-9.-]+(\\/[A-Za-z0-9._-]+)*$/, { message: 'a name' })",
      '  OPTIONAL_NAME: string;',
      '',
      '  // a comment',
      '  @EnvInt(60, 7 * 86400)',
      '  RANGED_SECONDS = 3600;',
      '',
      '  @IsOptional()',
      "  MODE: 'a' | 'b' = 'a';",
      '',
      '  MAYBE?: string;',
      '',
      '  @EnvBoolean()',
      '  FLAG: boolean;',
      '}',
    ].join('\n');
    const [sample] = parseEnvClasses(source);
    expect(sample.name).toBe('SampleEnv');
    expect(sample.parent).toBe('BaseEnv');
    expect(sample.vars.map(({ name, required, intRange }) => ({ name, required, intRange }))).toEqual([
      { name: 'REQUIRED_FILE', required: true, intRange: undefined },
      { name: 'OPTIONAL_NAME', required: false, intRange: undefined },
      { name: 'RANGED_SECONDS', required: false, intRange: [60, 604800] },
      { name: 'MODE', required: false, intRange: undefined },
      { name: 'MAYBE', required: false, intRange: undefined },
      { name: 'FLAG', required: false, intRange: undefined },
    ]);
  });

  it("reads each app's class with its ancestors (libs/platform/src/env.ts)", () => {
    const names = (app: App, required?: boolean) =>
      appEnv(ROOT, app)
        .vars.filter((v: EnvVarDecl) => required === undefined || v.required === required)
        .map((v) => v.name);
    for (const app of ALL_APPS) {
      expect(names(app)).toEqual(expect.arrayContaining(['HTTP_HOST', 'LOG_LEVEL', PORTS[app].env]));
    }
    for (const app of APPS) {
      expect(names(app, true)).toEqual(
        expect.arrayContaining(['KAFKA_BROKERS', 'DATABASE_URL', 'JWT_ISSUER', 'JWT_AUDIENCE']),
      );
    }
    expect(names('consent', true)).toEqual(expect.arrayContaining(['CONSENT_LOG_KEY_FILE', 'MASTER_KEY_FILE']));
    expect(names('tenant-store', true)).toEqual(
      expect.arrayContaining([
        'JWT_SIGNING_KEYS_FILE',
        'MASTER_KEY_FILE',
        'OPERATOR_CLIENT_ID',
        'OPERATOR_CLIENT_SECRET',
      ]),
    );
    expect(names('ingest', true)).toEqual(
      expect.arrayContaining(['NETWORK_HMAC_SECRET', 'NETWORK_URL', 'JWKS_URL', 'MASTER_KEY_FILE']),
    );
    expect(names('sandbox', true)).toEqual(['NETWORK_HMAC_SECRET', 'SANDBOX_ADS_ACCESS_TOKEN']);
  });

  it('every setting of every app is rendered by the chart, or deliberately left out (NOT_EXPOSED)', () => {
    const everything = [
      '-f',
      PRODUCTION,
      '--set',
      'sandbox.enabled=true',
      ...Object.keys(INT_VALUES).flatMap((path) => ['--set', `${path}=${schemaAt(path).minimum}`]),
    ];
    const objects = render(everything);
    for (const app of ALL_APPS) {
      const { env } = appWorkload(objects, app);
      const left = appEnv(ROOT, app)
        .vars.map((v) => v.name)
        .filter((n) => !env.has(n) && !(n in NOT_EXPOSED));
      expect({ app, notRendered: left }).toEqual({ app, notRendered: [] });
    }
  });

  it("integer values: the schema's range is the app's @EnvInt range, and the value reaches the app", () => {
    for (const bound of ['minimum', 'maximum'] as const) {
      const args = Object.keys(INT_VALUES).flatMap((path) => ['--set', `${path}=${schemaAt(path)[bound]}`]);
      const objects = render(['--set', 'sandbox.enabled=true', ...args]);
      for (const [path, [app, envName]] of Object.entries(INT_VALUES)) {
        const decl = appEnv(ROOT, app).vars.find((v) => v.name === envName);
        const schema = schemaAt(path);
        expect({ path, range: [schema.minimum, schema.maximum] }).toEqual({ path, range: decl?.intRange });
        expect({ path, rendered: appWorkload(objects, app).env.get(envName) }).toEqual({
          path,
          rendered: String(schema[bound]),
        });
      }
    }
  });

  it('consent reads its log key from the Secret, its origin and timings from values', () => {
    const objects = render(['-f', PRODUCTION]);
    const { env } = appWorkload(objects, 'consent');
    expect(env.get('CONSENT_LOG_KEY_FILE')).toBe('/etc/custody/consent-log-key/consent-log-key.json');
    expect(env.get('CONSENT_LOG_ORIGIN')).toBe('consent.custody.example.com');
    const volume = podSpecOf(find(objects, 'Deployment', `${RELEASE}-consent`)).volumes.find(
      (v: Json) => v.name === 'log-key',
    );
    expect(volume.secret).toEqual({
      secretName: 'custody-consent-log-key',
      defaultMode: 0o440,
      items: [{ key: 'consent-log-key.json', path: 'consent-log-key.json' }],
    });
    // Unset values keep the app's defaults: the chart does not restate them.
    const defaults = appWorkload(render([]), 'consent').env;
    for (const envName of [
      'CONSENT_LOG_ORIGIN',
      'CONSENT_STH_INTERVAL_SECONDS',
      'CONSENT_STH_MAX_AGE_SECONDS',
      'CONSENT_APPEND_BATCH_MAX',
      'CONSENT_WITNESSES',
    ]) {
      expect({ envName, set: defaults.has(envName) }).toEqual({ envName, set: false });
    }
    expect(env.get('CONSENT_WITNESSES')).toBe(
      'witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X https://w1.witness.example',
    );
  });

  it('the schema rejects KAFKA_NEW_GROUP_START in extraEnv', () => {
    const res = template([
      '--set',
      'ingest.extraEnv[0].name=KAFKA_NEW_GROUP_START',
      '--set',
      'ingest.extraEnv[0].value=latest',
    ]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('/ingest/extraEnv/0/name');
  });

  it('the schema refuses EGRESS_ALLOW_LOOPBACK (webhooks to loopback) in any extraEnv', () => {
    for (const app of ['ingest', 'tenantStore']) {
      const res = template([
        '-f',
        PRODUCTION,
        '--set',
        `${app}.extraEnv[0].name=EGRESS_ALLOW_LOOPBACK`,
        '--set-string',
        `${app}.extraEnv[0].value=true`,
      ]);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`/${app}/extraEnv/0/name`);
    }
  });

  it('refuses a retention minimum above the maximum', () => {
    const res = template(['--set', 'tenantStore.retention.minDays=400']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('tenantStore.retention.minDays (400) must not exceed maxDays (365)');
  });
});

describe('NOTES.txt', () => {
  let chart: string;
  beforeAll(() => {
    // `helm template` does not render NOTES.txt: render a copy of it as a ConfigMap of a copy of the chart.
    const dir = mkdtempSync(join(tmpdir(), 'custody-notes-'));
    chart = join(dir, 'custody');
    cpSync(CHART, chart, { recursive: true });
    renameSync(join(chart, 'templates/NOTES.txt'), join(chart, 'notes.tpl.txt'));
    writeFileSync(
      join(chart, 'templates/notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes.tpl.txt") . | quote }}\n',
    );
  });
  afterAll(() => rmSync(join(chart, '..'), { recursive: true, force: true }));

  const notes = (args: string[]): { text: string; objects: K8sObject[] } => {
    const res = run(helm, ['template', RELEASE, chart, '--namespace', NAMESPACE, '--kube-version', '1.37.0', ...args]);
    if (res.status !== 0) {
      throw new Error(res.stderr);
    }
    const objects = validate(validators[validators.length - 1], res.stdout);
    return { text: find(objects, 'ConfigMap', 'notes').data!.notes, objects };
  };

  it.each(Object.entries(VALUE_SETS))(
    'with %s values, names every Secret the release reads, with its keys',
    (_name, args) => {
      const { text, objects } = notes(args);
      const refs = new Map<string, Set<string>>();
      const add = (secret: string, key: string) => refs.set(secret, (refs.get(secret) ?? new Set()).add(key));
      for (const w of workloads(objects)) {
        const pod = podSpecOf(w);
        for (const c of pod.containers) {
          for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) {
              add(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
            }
          }
        }
        for (const v of pod.volumes ?? []) {
          for (const item of v.secret?.items ?? []) {
            add(v.secret.secretName, item.key);
          }
        }
      }
      expect(refs.has('custody-consent-log-key')).toBe(true);
      for (const [secret, keys] of refs) {
        const line = text.split('\n').find((l) => l.trim().startsWith(`- ${secret} (key`));
        expect({ secret, listed: Boolean(line) }).toEqual({ secret, listed: true });
        for (const key of keys) {
          expect({ secret, key, listed: line!.includes(key) }).toEqual({ secret, key, listed: true });
        }
      }
    },
  );

  it('warns when ingest has no NETWORK_URL or consent no log origin, and only then', () => {
    const defaults = notes([]).text;
    expect(defaults).toContain('WARNING: ingest.networkUrl is not set');
    expect(defaults).toContain('WARNING: consent.logOrigin is not set');
    const production = notes(['-f', PRODUCTION]).text;
    expect(production).not.toContain('ingest.networkUrl is not set');
    expect(production).not.toContain('consent.logOrigin is not set');
    expect(notes(['--set', 'sandbox.enabled=true']).text).not.toContain('ingest.networkUrl is not set');
  });
});
