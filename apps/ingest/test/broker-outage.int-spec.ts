import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformHarness, startPlatform } from '../../../test/support/platform.harness';
import { approvedTemplate } from '../../../test/support/templates';
import { TestTenant } from '../../../test/support/tenant-store.harness';
import { waitFor } from '../../../test/support/wait';

const SEND_TIMEOUT_MS = 2000;

/**
 * The local broker's process (scripts/stack.sh), paused with SIGSTOP: it holds its connections and
 * answers nothing, the harshest way for a dependency to be down (a refused connection fails fast).
 */
function localBroker(): { pause: () => void; resume: () => void } {
  const pidFile = join(process.env.CUSTODY_HOME ?? join(__dirname, '../../../.custody'), 'kafka', 'kafka.pid');
  if (!existsSync(pidFile)) {
    throw new Error(`${pidFile} is missing: this test pauses the local stack's broker (npm test starts it)`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  process.kill(pid, 0);
  return { pause: () => process.kill(pid, 'SIGSTOP'), resume: () => process.kill(pid, 'SIGCONT') };
}

describe('ingest while the broker is unavailable (real stack, the local broker paused)', () => {
  let p: PlatformHarness;
  let tenant: TestTenant;
  let broker: ReturnType<typeof localBroker>;

  beforeAll(async () => {
    broker = localBroker();
    p = await startPlatform({ ingestEnv: { SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) } });
    tenant = await p.newTenant();
    await approvedTemplate(p.ingestUrl, tenant, { name: 'hello' });
  });
  afterAll(async () => {
    broker?.resume();
    await p?.close();
  });

  it('answers 503 (131016) within the bound and never 200; readiness goes false and back; consumers resume on their own', async () => {
    const token = await tenant.token();
    const waId = p.newCustomer();
    const send = (idempotencyKey?: string) =>
      p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
        token,
        headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
        body: {
          messaging_product: 'whatsapp',
          to: waId,
          type: 'template',
          template: { name: 'hello', language: { code: 'en_US' } },
        },
      });
    const storedCount = async (messageId: string) =>
      (
        await p.sql<{ n: number }>(`SELECT count(*)::int AS n FROM tenant_store.messages WHERE message_id = $1`, [
          messageId,
        ])
      )[0].n;
    const ready = async (request: typeof p.ingest) => (await request('GET', '/health/ready')).status;

    const before = await send();
    expect(before.status).toBe(200);
    await waitFor('the first send stored', async () => (await storedCount(before.body.messages[0].id)) === 1, 30_000);

    broker.pause();
    const during: Array<{ status: number; code?: number; ms: number }> = [];
    try {
      for (const key of ['outage-1', 'outage-2', 'outage-3']) {
        const started = Date.now();
        const res = await send(key);
        during.push({ status: res.status, code: res.body?.error?.code, ms: Date.now() - started });
      }
      // Readiness is bounded too (3 s per check) and names the dependency.
      const ingestReady = await p.ingest('GET', '/health/ready');
      expect(ingestReady.status).toBe(503);
      expect(JSON.stringify(ingestReady.body)).toContain('kafka');
      expect(await ready(p.store.request)).toBe(503);
    } finally {
      broker.resume();
    }
    // Every send during the outage: 503 with the Graph code, within the timeout (plus slack for a loaded machine).
    for (const d of during) {
      expect({ status: d.status, code: d.code }).toEqual({ status: 503, code: 131016 });
      expect(d.ms).toBeLessThan(SEND_TIMEOUT_MS + 3000);
    }

    // Back without restarts: readiness, then sends, then the consumers storing them.
    await waitFor('ingest ready again', async () => (await ready(p.ingest)) === 200, 90_000, 500);
    await waitFor('tenant-store ready again', async () => (await ready(p.store.request)) === 200, 90_000, 500);
    const retried = await waitFor(
      'a send accepted again',
      async () => {
        const res = await send('outage-1');
        return res.status === 200 ? res : undefined;
      },
      60_000,
      500,
    );
    const after = await send();
    expect(after.status).toBe(200);
    for (const id of [retried.body.messages[0].id as string, after.body.messages[0].id as string]) {
      await waitFor(`${id} stored after the outage`, async () => (await storedCount(id)) === 1, 90_000, 250);
    }
  }, 240_000);
});
