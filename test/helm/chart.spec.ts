/**
 * The Helm chart (deploy/helm/custody), checked without a cluster:
 * - `helm lint --strict` and `helm template` with the default and the production-like values;
 * - every rendered object validated by tools/k8s-validate for every targeted Kubernetes version
 *   (the API server's own decoding, defaulting and validation code, plus the restricted Pod
 *   Security Standard), which also turns the YAML into JSON for the assertions below;
 * - what must hold for an operator: probes, resources, security contexts, NetworkPolicies, PDBs,
 *   HPAs, hook order, secrets only by reference, the schema rejecting bad values, a current README.
 *
 * Helm and the validators are built from the Go module proxy by scripts/helm.sh and
 * tools/k8s-validate/build.sh: minutes the first time, milliseconds once cached.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { TOPIC_SPECS } from '@custody/contracts';

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
/** Environment variables that carry secrets: they may only come from a secretKeyRef. */
const SECRET_ENV = [
  'DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'KAFKA_SASL_PASSWORD',
  'NETWORK_HMAC_SECRET',
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
      expect(container.ports).toEqual([{ name: 'http', containerPort: PORTS[app].port, protocol: 'TCP' }]);
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
        expect(rule.ports).toEqual([{ port: PORTS[app].port, protocol: 'TCP' }]);
      }
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
    expect(policies['tenant-store'].egress.flatMap((r: Json) => r.ports.map((p: Json) => p.port))).not.toContain(443);
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
  });

  it('the topic Job creates every topic of @custody/contracts with its partitions, replication and compaction', () => {
    const [container] = podSpecOf(find(objects, 'Job', `${RELEASE}-topics`)).containers;
    expect(container.command).toEqual(['node', 'libs/kafka/dist/create-topics.js']);
    const env: Record<string, string> = Object.fromEntries(
      container.env.filter((e: Json) => e.value !== undefined).map((e: Json) => [e.name, e.value]),
    );
    const specs: { name: string; partitions: number; replicationFactor: number; config: Record<string, string> }[] =
      JSON.parse(env.KAFKA_TOPICS_JSON);
    expect(specs.map((s) => s.name).sort()).toEqual(TOPIC_SPECS.map((s) => s.name).sort());
    for (const contract of TOPIC_SPECS) {
      const spec = specs.find((s) => s.name === contract.name)!;
      expect({ topic: spec.name, compact: spec.config['cleanup.policy'] === 'compact' }).toEqual({
        topic: contract.name,
        compact: contract.compacted,
      });
      expect(spec.partitions).toBe(name === 'production' ? 24 : 12);
      expect(spec.replicationFactor).toBe(3);
    }
    expect(specs.find((s) => s.name === 'custody.consent.events.v1')!.config['cleanup.policy']).toBe('compact');
    expect(env.KAFKA_TOPIC_REPLICATION_FACTOR).toBe('3');
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
  ])('the schema has no place for a secret value: %s is rejected and not rendered', (key) => {
    const res = template(['-f', PRODUCTION, '--set-string', `${key}=${SENTINEL}-value`]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('additional properties');
    expect(res.stdout + res.stderr).not.toContain(`${SENTINEL}-value`);
  });

  it('secret names and keys appear only where Kubernetes resolves them (secretKeyRef, secret volumes)', () => {
    const refs = [
      'database.existingSecret',
      'database.urlKey',
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
    ['database.existingSecret', 'database.existingSecret'],
    ['database.migration.existingSecret', 'database.migration.existingSecret'],
    ['tenantStore.signingKeys.existingSecret', 'tenantStore.signingKeys.existingSecret'],
    ['tenantStore.masterKey.existingSecret', 'tenantStore.masterKey.existingSecret'],
    ['tenantStore.operatorCredentials.existingSecret', 'tenantStore.operatorCredentials.existingSecret'],
    ['ingest.networkHmacSecret.existingSecret', 'ingest.networkHmacSecret.existingSecret'],
  ])('refuses to render without %s', (key, message) => {
    const res = template(['--set', `${key}=`]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`${message}`);
    expect(res.stderr).toContain('is required');
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
