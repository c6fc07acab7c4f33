import { WhatsAppAPI } from 'whatsapp-api-js';
import {
  ActionButtons,
  Body,
  BodyComponent,
  BodyParameter,
  Button,
  Image,
  Interactive,
  Language,
  Template,
} from 'whatsapp-api-js/messages';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * A published Cloud API client library (`whatsapp-api-js`), unchanged but for its base URL (its
 * own `fetch` is pointed at ingest): it creates a template and sees it approved, sends it with
 * parameters, uploads an image and sends it by id, sends reply buttons, receives the customer's
 * button reply through its own webhook handling (signature checked by the library), and marks the
 * reply as read: the customer sees the blue ticks.
 */
describe('a published Cloud API client against Custody', () => {
  let p: PlatformHarness;
  let receiver: WebhookReceiver;
  let tenant: TestTenant;

  beforeAll(async () => {
    p = await startPlatform();
    receiver = await new WebhookReceiver().start();
    tenant = await p.newTenant({ webhookUrl: receiver.url });
  });
  afterAll(async () => {
    await p?.close();
    await receiver?.stop();
  });

  it('templates, media by id, reply buttons, the customer’s reply and its read receipt, all through whatsapp-api-js', async () => {
    const token = await tenant.token();
    const toCustody: typeof fetch = (input, init) =>
      fetch(
        String(input instanceof Request ? input.url : input).replace('https://graph.facebook.com', p.ingestUrl),
        init,
      );
    const wa = new WhatsAppAPI({
      token,
      appSecret: tenant.appSecret,
      v: 'v25.0',
      ponyfill: { fetch: toCustody, subtle: globalThis.crypto.subtle },
    });
    const messages: Array<Record<string, any>> = [];
    wa.on.message = ({ message }) => {
      messages.push(message as Record<string, any>);
    };
    const graph = async (path: string, init: RequestInit = {}) => {
      const res = await wa.$$apiFetch$$(`https://graph.facebook.com/v25.0/${path}`, init);
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };

    // 1. A template, created through the client's own (authenticated) transport; the review approves it.
    const created = await graph(`${tenant.businessAccountId}/message_templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'welcome_back',
        language: 'en_US',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Welcome back, {{1}}!', example: { body_text: [['Ada']] } }],
      }),
    });
    expect(created).toEqual({
      status: 200,
      body: { id: expect.any(String), status: 'PENDING', category: 'MARKETING' },
    });
    const approval = await waitFor('the template approval webhook', async () =>
      receiver.received.find((r) =>
        r.body.entry?.[0]?.changes?.some(
          (c: any) =>
            c.field === 'message_template_status_update' &&
            c.value.message_template_id === Number(created.body.id) &&
            c.value.event === 'APPROVED',
        ),
      ),
    );
    // The library's own signature check accepts Custody's webhook.
    expect(await wa.verifyRequestSignature(approval.rawBody, String(approval.headers['x-hub-signature-256']))).toBe(
      true,
    );
    const listed = await graph(`${tenant.businessAccountId}/message_templates?fields=name,status`);
    expect(listed.body.data).toEqual([{ id: created.body.id, name: 'welcome_back', status: 'APPROVED' }]);

    // 2. The template, sent with its parameter to a customer who never wrote.
    const waId = p.newCustomer();
    const templateSent = await wa.sendMessage(
      tenant.phoneNumberId,
      waId,
      new Template('welcome_back', new Language('en_US'), new BodyComponent(new BodyParameter('Grace'))),
    );
    const templateId = (templateSent as { messages: Array<{ id: string }> }).messages[0].id;
    const inbox = async () =>
      (await p.sandbox('GET', `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`))
        .body as any[];
    const template = await waitFor('the template at the customer', async () =>
      (await inbox()).find((m) => m.messageId === templateId),
    );
    expect(template.content.rendered.body).toBe('Welcome back, Grace!');

    // The customer answers: the window opens.
    await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: { phoneNumberId: tenant.phoneNumberId, text: 'Thanks!' },
    });
    await waitFor('the window open (the customer’s message stored)', async () =>
      receiver.items('messages').find((m) => m.from === waId && m.text?.body === 'Thanks!'),
    );

    // 3. An image, uploaded with the library and sent by its id.
    const png = Buffer.from('\x89PNG\r\n\x1a\n an image for the customer');
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'shoe.png');
    const uploaded = await wa.uploadMedia(tenant.phoneNumberId, form);
    const mediaId = (uploaded as { id: string }).id;
    expect(mediaId).toMatch(/^\d{16}$/);
    const described = await wa.retrieveMedia(mediaId);
    expect(described).toMatchObject({ id: mediaId, mime_type: 'image/png', file_size: png.length });
    const imageSent = await wa.sendMessage(tenant.phoneNumberId, waId, new Image(mediaId, true, 'Our new shoe'));
    const imageId = (imageSent as { messages: Array<{ id: string }> }).messages[0].id;
    const image = await waitFor('the image at the customer', async () =>
      (await inbox()).find((m) => m.messageId === imageId),
    );
    expect(image.content).toMatchObject({ id: mediaId, caption: 'Our new shoe', mime_type: 'image/png' });

    // 4. Reply buttons; the customer taps one; the reply reaches the library's webhook handler.
    const buttonsSent = await wa.sendMessage(
      tenant.phoneNumberId,
      waId,
      new Interactive(
        new ActionButtons(new Button('size_42', '42'), new Button('size_43', '43')),
        new Body('Your size?'),
      ),
    );
    const buttonsId = (buttonsSent as { messages: Array<{ id: string }> }).messages[0].id;
    await waitFor('the buttons at the customer', async () => (await inbox()).find((m) => m.messageId === buttonsId));
    const tapped = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: {
        phoneNumberId: tenant.phoneNumberId,
        interactive: { type: 'button_reply', id: 'size_43', title: '43' },
        replyTo: buttonsId,
      },
    });
    const replyId = tapped.body.messageId as string;
    const webhook = await waitFor('the button reply webhook', async () =>
      receiver.received.find((r) => r.rawBody.includes(replyId)),
    );
    await wa.post(webhook.body, webhook.rawBody, String(webhook.headers['x-hub-signature-256']));
    expect(messages.find((m) => m.id === replyId)).toMatchObject({
      from: waId,
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'size_43', title: '43' } },
      context: { id: buttonsId },
    });

    // 5. The reply marked as read: the customer sees the blue ticks.
    expect(await wa.markAsRead(tenant.phoneNumberId, replyId)).toEqual({ success: true });
    const sent = await waitFor('the read receipt at the customer', async () => {
      const r = await p.sandbox('GET', `/sandbox/v1/customers/${waId}/sent?phoneNumberId=${tenant.phoneNumberId}`);
      return (r.body as any[]).find((m) => m.messageId === replyId && m.readAt);
    });
    expect(sent.readAt).toEqual(expect.any(String));
  });
});
