import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { Topic, TopicNamespace, Topics } from '@custody/contracts';
import { httpClient, HttpRequest, readTopic, uniqueDigits, uniqueName } from '@custody/testing';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { waitFor } from '../support/wait';
import { PLAIN_BODY } from '../support/templates';

/**
 * Two environments on one broker and one database server: this file's platform (in-process, topics
 * `<this file's prefix>.*`, database custody_test) and a peer started as built processes (topics
 * `<this file's prefix>-peer-<random>.*`, its own database on the same server), each with a tenant on
 * the same phone number id. Shared topics would hand each one's events to the other (its consumers
 * would store, dispatch or answer them, or count them as of an unknown tenant); namespaced ones must not.
 */

interface Peer {
  tenantStore: string;
  ingest: string;
  sandbox: string;
  topicPrefix: string;
  operator: { clientId: string; clientSecret: string };
}

const ROOT = join(__dirname, '../..');
const PEER_MIGRATION_DB = process.env.CUSTODY_PEER_MIGRATION_DATABASE_URL;

/**
 * This process's environment with the peer's database logins in place of ours: every
 * `CUSTODY_PEER_<NAME>` database URL becomes `<NAME>`, and our own URLs without a peer
 * counterpart are left out (so no app of the peer can reach our database).
 */
function peerEnv(): NodeJS.ProcessEnv {
  const isUrl = (name: string) => /DATABASE(_PLATFORM)?_URL$/.test(name);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('CUSTODY_PEER_') && isUrl(name)) {
      env[name.slice('CUSTODY_PEER_'.length)] = value;
    } else if (!isUrl(name)) {
      env[name] = value;
    }
  }
  return env;
}

async function startPeer(): Promise<{ peer: Peer; child: ChildProcess }> {
  if (!PEER_MIGRATION_DB) {
    throw new Error(
      "CUSTODY_PEER_MIGRATION_DATABASE_URL and the peer's CUSTODY_PEER_*DATABASE_URL logins are not set: npm test creates the custody_test_peer database on the local stack; with your own DATABASE_URL, point CUSTODY_PEER_DATABASE_URL, CUSTODY_PEER_DATABASE_PLATFORM_URL and CUSTODY_PEER_MIGRATION_DATABASE_URL at a second database of the same server",
    );
  }
  const child = spawn(process.execPath, [join(ROOT, 'test/support/peer-environment.mjs')], {
    env: {
      ...peerEnv(),
      NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
      KAFKA_TOPIC_PREFIX: `${process.env.KAFKA_TOPIC_PREFIX}-peer`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const peer = await new Promise<Peer>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the peer environment exited with ${code} during start-up`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as Peer));
  });
  return { peer, child };
}

async function stopPeer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) {
    return;
  }
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  });
}

async function sqlOn<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('custody.platform', 'on', true)`);
    const result = await client.query(text, params);
    await client.query('COMMIT');
    return result.rows as T[];
  } finally {
    await client.end();
  }
}

/** The value of a counter on a /metrics page, summed over the series that have all these labels. */
async function counter(request: HttpRequest, name: string, labels: string[] = []): Promise<number> {
  const res = await request('GET', '/metrics');
  return res.text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const TRAFFIC_TOPICS: Topic[] = [
  Topics.TenantsChanged,
  Topics.MessagesInbound,
  Topics.MessagesOutbound,
  Topics.MessagesStatus,
  Topics.MessagesStored,
];

describe("two environments on one broker and one database server never see each other's events", () => {
  let a: PlatformHarness;
  let peerChild: ChildProcess | undefined;
  let peer: Peer;
  let peerStore: HttpRequest;

  beforeAll(async () => {
    // No simulated duplicates: each event is then on its topic exactly once.
    [a, { peer, child: peerChild }] = await Promise.all([
      startPlatform({ sandboxEnv: { NETWORK_DUPLICATE_PERCENT: '0' } }),
      startPeer(),
    ]);
    peerStore = httpClient(peer.tenantStore);
  }, 240_000);
  afterAll(async () => {
    await Promise.all([a?.close(), stopPeer(peerChild)]);
  });

  it('each stores, sends and reports only its own tenant; its topics hold only its own events', async () => {
    const ours = new TopicNamespace(process.env.KAFKA_TOPIC_PREFIX);
    const theirs = new TopicNamespace(peer.topicPrefix);
    expect(theirs.prefix).not.toBe(ours.prefix);

    // The same phone number id in both environments.
    const tenantA = await a.newTenant();
    const form = (fields: Record<string, string>) => ({ form: fields });
    const operator = await peerStore(
      'POST',
      '/v1/oauth/token',
      form({
        grant_type: 'client_credentials',
        client_id: peer.operator.clientId,
        client_secret: peer.operator.clientSecret,
      }),
    );
    const peerBusinessAccountId = uniqueDigits(15);
    const created = await peerStore('POST', '/v1/tenants', {
      token: operator.body.access_token,
      body: {
        businessAccountId: peerBusinessAccountId,
        displayName: uniqueName('Peer'),
        phoneNumbers: [{ phoneNumberId: tenantA.phoneNumberId, displayPhoneNumber: `+1555${uniqueDigits(7)}` }],
        appSecret: randomBytes(24).toString('base64url'),
      },
    });
    expect(created.status).toBe(201);
    const tenantB = { id: created.body.tenant.id as string, phoneNumberId: tenantA.phoneNumberId };
    const peerToken = async (): Promise<string> =>
      (
        await peerStore(
          'POST',
          '/v1/oauth/token',
          form({
            grant_type: 'client_credentials',
            client_id: created.body.credentials.clientId,
            client_secret: created.body.credentials.clientSecret,
          }),
        )
      ).body.access_token as string;
    expect(tenantB.id).not.toBe(tenantA.id);

    // In each environment: a customer writes, the business answers with a template.
    const template = (to: string) => ({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: 'hello', language: { code: 'en_US' } },
    });
    const traffic = async (env: {
      sandbox: HttpRequest;
      ingest: HttpRequest;
      token: () => Promise<string>;
      businessAccountId: string;
    }) => {
      // The template, created and approved in this environment (sends of unknown templates are refused).
      await waitFor(
        'the template created (the account routed)',
        async () => {
          const res = await env.ingest('POST', `/v25.0/${env.businessAccountId}/message_templates`, {
            token: await env.token(),
            body: { name: 'hello', language: 'en_US', category: 'UTILITY', components: PLAIN_BODY },
          });
          return res.status === 200 ? res : undefined;
        },
        60_000,
        250,
      );
      await waitFor(
        'the template approved',
        async () => {
          const res = await env.ingest('GET', `/v25.0/${env.businessAccountId}/message_templates?status=APPROVED`, {
            token: await env.token(),
          });
          return res.body.data?.length === 1;
        },
        60_000,
        250,
      );
      const waId = `1555${uniqueDigits(7)}`;
      const sent = await waitFor(
        'the send accepted (the number routed)',
        async () => {
          const res = await env.ingest('POST', `/v25.0/${tenantA.phoneNumberId}/messages`, {
            token: await env.token(),
            body: template(waId),
          });
          return res.status === 200 ? res : undefined;
        },
        60_000,
        250,
      );
      const inbound = await env.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: { phoneNumberId: tenantA.phoneNumberId, text: 'hello' },
      });
      expect([inbound.status, inbound.body.ingestStatus]).toEqual([201, 200]);
      return { inboundId: inbound.body.messageId as string, outboundId: sent.body.messages[0].id as string };
    };
    const [inA, inB] = await Promise.all([
      traffic({
        sandbox: a.sandbox,
        ingest: a.ingest,
        token: tenantA.token,
        businessAccountId: tenantA.businessAccountId,
      }),
      traffic({
        sandbox: httpClient(peer.sandbox),
        ingest: httpClient(peer.ingest),
        token: peerToken,
        businessAccountId: peerBusinessAccountId,
      }),
    ]);

    // Each environment stored its own messages (and the hosted-chat notice it sent), in its own
    // database, under its own tenant, and nothing of the other's.
    const stored = async (url: string, tenantId: string) =>
      (
        await sqlOn<{ message_id: string }>(url, `SELECT message_id FROM tenant_store.messages WHERE tenant_id = $1`, [
          tenantId,
        ])
      ).map((r) => r.message_id);
    const dbA = process.env.MIGRATION_DATABASE_URL!;
    await waitFor(
      'A stored its messages',
      async () =>
        (await stored(dbA, tenantA.id)).filter((id) => [inA.inboundId, inA.outboundId].includes(id)).length === 2,
      60_000,
    );
    await waitFor(
      'B stored its messages',
      async () =>
        (await stored(PEER_MIGRATION_DB!, tenantB.id)).filter((id) => [inB.inboundId, inB.outboundId].includes(id))
          .length === 2,
      60_000,
    );
    for (const [url, other] of [
      [dbA, inB],
      [PEER_MIGRATION_DB!, inA],
    ] as const) {
      expect(
        await sqlOn(url, `SELECT message_id FROM tenant_store.messages WHERE message_id = ANY($1)`, [
          [other.inboundId, other.outboundId],
        ]),
      ).toEqual([]);
    }
    // The statuses of each send arrive (the network answers each environment's ingest only).
    await waitFor(
      'A has the status of its send',
      async () =>
        (
          await sqlOn(
            process.env.MIGRATION_DATABASE_URL!,
            `SELECT 1 FROM tenant_store.message_statuses WHERE message_id = $1`,
            [inA.outboundId],
          )
        ).length > 0,
      60_000,
    );
    await waitFor(
      'B has the status of its send',
      async () =>
        (
          await sqlOn(PEER_MIGRATION_DB!, `SELECT 1 FROM tenant_store.message_statuses WHERE message_id = $1`, [
            inB.outboundId,
          ])
        ).length > 0,
      60_000,
    );

    // Every event on each environment's topics is of its own tenant; the other's ids appear nowhere.
    for (const [namespace, tenantId, otherIds] of [
      [ours, tenantA.id, [inB.inboundId, inB.outboundId]],
      [theirs, tenantB.id, [inA.inboundId, inA.outboundId]],
    ] as const) {
      for (const topic of TRAFFIC_TOPICS) {
        const events = await readTopic(namespace.name(topic));
        expect({ topic: namespace.name(topic), tenants: [...new Set(events.map((e) => e.tenantId))] }).toEqual({
          topic: namespace.name(topic),
          tenants: topic === Topics.TenantsChanged || events.length > 0 ? [tenantId] : [],
        });
        expect(events.filter((e) => otherIds.includes(e.messageId) || otherIds.includes(e.message?.messageId))).toEqual(
          [],
        );
      }
      expect(await readTopic(namespace.name(Topics.DeadLetter))).toEqual([]);
    }
    expect((await readTopic(ours.name(Topics.MessagesInbound))).map((e) => e.messageId)).toEqual([inA.inboundId]);
    expect((await readTopic(theirs.name(Topics.MessagesInbound))).map((e) => e.messageId)).toEqual([inB.inboundId]);

    // Nor did either meet an event of a tenant it does not know, or consume more than its own.
    for (const store of [a.store.request, peerStore]) {
      expect(await counter(store, 'custody_unknown_tenant_events_total')).toBe(0);
    }
    expect(
      await counter(peerStore, 'custody_kafka_messages_consumed_total', [
        `topic="${Topics.MessagesInbound}"`,
        'group="tenant-store-messages"',
        'outcome="ok"',
      ]),
    ).toBe(1);
  }, 180_000);
});
