import { checkContacts, checkInteractive, checkLocation, checkSticker } from './rich-messages';

const buttons = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'reply', reply: { id: `b${i}`, title: `Option ${i}` } }));

describe('checkInteractive', () => {
  it('takes reply buttons (1 to 3, unique titles ≤ 20) and lists (≤ 10 sections, ≤ 10 rows)', () => {
    expect(
      checkInteractive({ type: 'button', body: { text: 'Pick one' }, action: { buttons: buttons(3) } }),
    ).toBeUndefined();
    expect(
      checkInteractive({
        type: 'list',
        header: { type: 'text', text: 'Menu' },
        body: { text: 'Choose' },
        footer: { text: 'Thanks' },
        action: {
          button: 'See options',
          sections: [{ title: 'Shoes', rows: [{ id: 'r1', title: 'Boots', description: 'Warm' }] }],
        },
      }),
    ).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(checkInteractive({ type: 'button', body: { text: 'x' }, action: { buttons: buttons(4) } })).toMatch(
      /1 to 3/,
    );
    expect(checkInteractive({ type: 'button', body: { text: 'x' }, action: { buttons: [] } })).toMatch(/1 to 3/);
    expect(
      checkInteractive({
        type: 'button',
        body: { text: 'x' },
        action: { buttons: [buttons(1)[0], { type: 'reply', reply: { id: 'other', title: 'Option 0' } }] },
      }),
    ).toMatch(/unique/);
    expect(
      checkInteractive({
        type: 'button',
        body: { text: 'x' },
        action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'x'.repeat(21) } }] },
      }),
    ).toMatch(/title must be 1 to 20/);
    expect(checkInteractive({ type: 'button', action: { buttons: buttons(1) } })).toBe('interactive.body is required');
    expect(checkInteractive({ type: 'button', body: { text: 'x' }, action: { buttons: buttons(1) }, extra: 1 })).toBe(
      'Unexpected key "interactive.extra"',
    );
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
    expect(
      checkInteractive({ type: 'list', body: { text: 'x' }, action: { button: 'Go', sections: [{ rows }] } }),
    ).toMatch(/at most 10 rows/);
    expect(checkInteractive({ type: 'carousel' })).toBe('interactive.type must be button, list or cta_url');
    const cta = (parameters: Record<string, unknown>) =>
      checkInteractive({ type: 'cta_url', body: { text: 'See' }, action: { name: 'cta_url', parameters } });
    expect(cta({ display_text: 'Open shop', url: 'https://shop.example.com' })).toBeUndefined();
    expect(cta({ display_text: 'x'.repeat(21), url: 'https://shop.example.com' })).toMatch(/display_text/);
    expect(cta({ display_text: 'Open', url: 'javascript:alert(1)' })).toMatch(/url/);
    expect(checkInteractive({ type: 'cta_url', body: { text: 'See' }, action: { name: 'x' } })).toMatch(/cta_url/);
    expect(checkInteractive('nope')).toBe('interactive must be an object');
  });
});

describe('checkLocation, checkContacts, checkSticker', () => {
  it('takes the Cloud API shapes', () => {
    expect(checkLocation({ latitude: 52.52, longitude: 13.405, name: 'Shop', address: 'Main St 1' })).toBeUndefined();
    expect(
      checkContacts([{ name: { formatted_name: 'Ada Lovelace' }, phones: [{ phone: '+15550001111', type: 'CELL' }] }]),
    ).toBeUndefined();
    expect(checkSticker({ link: 'https://example.com/s.webp' })).toBeUndefined();
    expect(checkSticker({ id: '1234567890123456' })).toBeUndefined();
  });

  it('refuses out-of-range coordinates, nameless contacts and stickers without a link', () => {
    expect(checkLocation({ latitude: 91, longitude: 0 })).toMatch(/latitude/);
    expect(checkLocation({ latitude: 0 })).toMatch(/longitude/);
    expect(checkContacts([])).toMatch(/1 to 20/);
    expect(checkContacts([{ name: {} }])).toMatch(/formatted_name/);
    expect(checkContacts([{ name: { formatted_name: 'A' }, birthday: '1 May' }])).toMatch(/YYYY-MM-DD/);
    expect(checkSticker({ id: 'abc' })).toMatch(/media id/);
    expect(checkSticker({ id: '123', link: 'https://example.com/s.webp' })).toMatch(/not both/);
    expect(checkSticker({})).toMatch(/link/);
    expect(checkSticker({ link: 'https://example.com/s.webp', caption: 'x' })).toBe(
      'sticker takes only a link or an id',
    );
  });
});
