import { waitFor } from './wait';

/** The simplest template: a body without variables. */
export const PLAIN_BODY = [{ type: 'BODY', text: 'A message from the test suite.' }];

/**
 * Creates a message template for the tenant's business account through ingest's Cloud API route and
 * waits until the sandbox's review approved it (the sandbox approves by default). Tests that send
 * templates use it: ingest refuses templates that are unknown or not approved (132001).
 */
export async function approvedTemplate(
  ingestUrl: string,
  tenant: { businessAccountId: string; token: () => Promise<string> },
  template: {
    name: string;
    language?: string;
    category?: string;
    components?: Array<Record<string, unknown>>;
    parameter_format?: string;
  },
): Promise<string> {
  const token = await tenant.token();
  const res = await fetch(`${ingestUrl}/v25.0/${tenant.businessAccountId}/message_templates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      language: 'en_US',
      category: 'UTILITY',
      components: PLAIN_BODY,
      ...template,
    }),
  });
  const created = (await res.json()) as { id?: string };
  if (res.status !== 200 || !created.id) {
    throw new Error(`creating template ${template.name} answered ${res.status}: ${JSON.stringify(created)}`);
  }
  await waitFor(`template ${template.name} to be approved`, async () => {
    const got = await fetch(`${ingestUrl}/v25.0/${created.id}?fields=status`, {
      headers: { authorization: `Bearer ${await tenant.token()}` },
    });
    return ((await got.json()) as { status?: string }).status === 'APPROVED';
  });
  return created.id;
}
