import { checkTemplateSend, parseTemplateCreate, specOf } from './templates';

const created = (body: Record<string, unknown>) => {
  const parsed = parseTemplateCreate({ name: 't', language: 'en_US', category: 'utility', ...body });
  if (!parsed.ok) {
    throw new Error(parsed.details);
  }
  return parsed.template;
};

describe('message templates', () => {
  it('normalizes a new template and works out what a send must give', () => {
    const t = created({
      components: [
        { type: 'header', format: 'text', text: 'Order {{1}}', example: { header_text: ['#1'] } },
        { type: 'body', text: 'Hi {{1}}, {{2}} and {{1}} again', example: { body_text: [['a', 'b']] } },
        { type: 'buttons', buttons: [{ type: 'url', text: 'Open', url: 'https://x.example/{{1}}', example: ['s'] }] },
      ],
    });
    expect(t.category).toBe('UTILITY');
    expect(t.components.map((c) => c.type)).toEqual(['HEADER', 'BODY', 'BUTTONS']);
    const spec = specOf(t);
    expect(spec.header?.vars).toEqual(['1']);
    expect(spec.body.vars).toEqual(['1', '2']);
    const sent = checkTemplateSend(spec, [
      { type: 'header', parameters: [{ type: 'text', text: '#9' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ada' },
          { type: 'currency', currency: { fallback_value: '$5', code: 'USD', amount_1000: 5000 } },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'a b' }] },
    ]);
    expect(sent).toEqual({
      ok: true,
      rendered: {
        header: 'Order #9',
        body: 'Hi Ada, $5 and Ada again',
        buttons: [{ type: 'URL', text: 'Open', url: 'https://x.example/a%20b' }],
      },
    });
  });

  it('refuses counts (132000), types (132012) and overlong text (132005)', () => {
    const spec = specOf(created({ components: [{ type: 'BODY', text: '{{1}}', example: { body_text: [['a']] } }] }));
    expect(checkTemplateSend(spec, undefined)).toMatchObject({ ok: false, code: 132000 });
    expect(checkTemplateSend(spec, [{ type: 'body', parameters: [{ type: 'image', image: {} }] }])).toMatchObject({
      ok: false,
      code: 132012,
    });
    expect(
      checkTemplateSend(spec, [{ type: 'body', parameters: [{ type: 'text', text: 'x'.repeat(1025) }] }]),
    ).toMatchObject({ ok: false, code: 132005 });
  });

  it('refuses malformed templates naming the field', () => {
    const problem = (body: Record<string, unknown>) => {
      const parsed = parseTemplateCreate({ name: 't', language: 'en', category: 'UTILITY', ...body });
      return parsed.ok ? undefined : parsed.details;
    };
    expect(
      problem({
        components: [
          { type: 'BODY', text: 'x' },
          { type: 'BODY', text: 'y' },
        ],
      }),
    ).toMatch(/only one BODY/);
    expect(
      problem({
        components: [
          { type: 'BODY', text: 'x' },
          { type: 'FOOTER', text: '{{1}}' },
        ],
      }),
    ).toMatch(/footer/);
    expect(problem({ components: [{ type: 'BODY', text: '{{a}}' }] })).toMatch(/positional/);
    expect(
      problem({
        parameter_format: 'named',
        components: [
          { type: 'BODY', text: '{{a}}', example: { body_text_named_params: [{ param_name: 'b', example: 'x' }] } },
        ],
      }),
    ).toMatch(/no example for \{\{a\}\}/);
    expect(
      problem({
        components: [
          { type: 'HEADER', format: 'GIF' },
          { type: 'BODY', text: 'x' },
        ],
      }),
    ).toMatch(/format/);
  });

  describe('authentication templates', () => {
    const auth = (components: unknown[], extra: Record<string, unknown> = {}) =>
      parseTemplateCreate({ name: 'otp', language: 'en_US', category: 'AUTHENTICATION', components, ...extra });
    const copyCode = { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'copy_code' }] };

    it('words the body and footer itself and takes the code in the body and the OTP button', () => {
      const parsed = auth([
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        copyCode,
      ]);
      if (!parsed.ok) {
        throw new Error(parsed.details);
      }
      const spec = specOf(parsed.template);
      expect(spec.body).toEqual({
        text: '*{{1}}* is your verification code. For your security, do not share this code.',
        vars: ['1'],
      });
      expect(spec.footer).toBe('This code expires in 10 minutes.');
      const code = [{ type: 'text', text: '483920' }];
      expect(
        checkTemplateSend(spec, [
          { type: 'body', parameters: code },
          { type: 'button', sub_type: 'url', index: '0', parameters: code },
        ]),
      ).toEqual({
        ok: true,
        rendered: {
          body: '*483920* is your verification code. For your security, do not share this code.',
          footer: 'This code expires in 10 minutes.',
          buttons: [{ type: 'OTP', text: 'Copy code' }],
        },
      });
      // The button needs the code too.
      expect(checkTemplateSend(spec, [{ type: 'body', parameters: code }])).toMatchObject({ ok: false, code: 132000 });
      const plain = auth([{ type: 'BODY' }, copyCode]);
      expect(plain.ok && specOf(plain.template).body.text).toBe('*{{1}}* is your verification code.');
    });

    it('takes one-tap and zero-tap buttons with the Android app they fill in', () => {
      const app = { package_name: 'com.example.shop', signature_hash: 'K8a/AINcGX7' };
      expect(
        auth([{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'ONE_TAP', ...app }] }]).ok,
      ).toBe(true);
      expect(
        auth([
          { type: 'BODY' },
          {
            type: 'BUTTONS',
            buttons: [{ type: 'OTP', otp_type: 'ZERO_TAP', zero_tap_terms_accepted: true, supported_apps: [app] }],
          },
        ]).ok,
      ).toBe(true);
    });

    it('refuses what an authentication template cannot have, naming it', () => {
      const problem = (components: unknown[], extra: Record<string, unknown> = {}) => {
        const parsed = auth(components, extra);
        return parsed.ok ? undefined : parsed.details;
      };
      expect(problem([{ type: 'BODY', text: 'Your code is {{1}}' }, copyCode])).toMatch(/body is fixed/);
      expect(problem([{ type: 'BODY' }])).toMatch(/needs BUTTONS/);
      expect(problem([{ type: 'BODY' }, { type: 'HEADER', format: 'TEXT', text: 'x' }, copyCode])).toMatch(/no header/);
      expect(problem([{ type: 'BODY' }, { type: 'FOOTER', code_expiration_minutes: 91 }, copyCode])).toMatch(/1 to 90/);
      expect(problem([{ type: 'BODY' }, { type: 'FOOTER', text: 'x' }, copyCode])).toMatch(/footer is fixed/);
      expect(problem([{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x' }] }])).toMatch(
        /one OTP button/,
      );
      expect(problem([{ type: 'BODY' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'ONE_TAP' }] }])).toMatch(
        /package_name/,
      );
      expect(
        problem([
          { type: 'BODY' },
          {
            type: 'BUTTONS',
            buttons: [{ type: 'OTP', otp_type: 'ZERO_TAP', package_name: 'com.a.b', signature_hash: 'K8a/AINcGX7' }],
          },
        ]),
      ).toMatch(/zero_tap_terms_accepted/);
      expect(problem([{ type: 'BODY' }, copyCode], { parameter_format: 'named' })).toMatch(/positional/);
      // …and other templates take neither an OTP button nor the authentication keys.
      const utility = (components: unknown[]) => {
        const parsed = parseTemplateCreate({ name: 'u', language: 'en', category: 'UTILITY', components });
        return parsed.ok ? undefined : parsed.details;
      };
      expect(utility([{ type: 'BODY', text: 'x', add_security_recommendation: true }])).toMatch(/Unexpected key/);
      expect(utility([{ type: 'BODY', text: 'x' }, copyCode])).toMatch(/type must be one of/);
    });
  });
});
