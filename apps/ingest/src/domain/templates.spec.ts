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
});
