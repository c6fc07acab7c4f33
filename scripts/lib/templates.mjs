// Message templates for the scripts (demo, benchmarks, fault suite): ingest sends only approved
// templates, so a script creates the ones it sends and waits for the sandbox's review to approve
// them (it approves by default, within milliseconds).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The template `name` in `language` of the business account, approved: created when missing
 * (retried while ingest does not route the new account yet), then awaited. Answers its id.
 */
export async function ensureApprovedTemplate({
  ingest,
  authorization,
  businessAccountId,
  name,
  language = 'en',
  category = 'UTILITY',
  components = [{ type: 'BODY', text: 'A message from Custody.' }],
  timeoutMs = 60_000,
}) {
  const headers = { authorization, 'content-type': 'application/json' };
  const base = `${ingest}/v25.0/${businessAccountId}/message_templates`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const found = await fetch(`${base}?name=${name}&language=${language}&fields=status`, { headers }).catch(
      () => undefined,
    );
    const page = found?.ok ? await found.json() : undefined;
    const existing = page?.data?.[0];
    if (existing?.status === 'APPROVED') return existing.id;
    if (existing && existing.status !== 'PENDING') {
      throw new Error(`template ${name} (${language}) is ${existing.status}`);
    }
    if (!existing && found?.ok) {
      const res = await fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name, language, category, components }),
      }).catch(() => undefined);
      last = res ? `HTTP ${res.status} ${await res.text()}` : 'ingest unreachable';
    } else if (!found?.ok) {
      // 404 until ingest has read the new tenant from Kafka.
      last = found ? `HTTP ${found.status}` : 'ingest unreachable';
    }
    await sleep(200);
  }
  throw new Error(`template ${name} (${language}) was not approved in time: ${last}`);
}
