import { isMediaType, mediaIdFor } from './media-ids';

describe('media ids', () => {
  it('are 16 digits, stable per message and different between messages', () => {
    const a = mediaIdFor('wamid.AAAAAAAAAAAAAAAA');
    expect(a).toMatch(/^\d{16}$/);
    expect(mediaIdFor('wamid.AAAAAAAAAAAAAAAA')).toBe(a);
    expect(mediaIdFor('wamid.AAAAAAAAAAAAAAAB')).not.toBe(a);
  });

  it('exist for image, document, audio and video only', () => {
    expect(['image', 'document', 'audio', 'video'].every(isMediaType)).toBe(true);
    expect(['text', 'template', 'reaction', 'system'].some(isMediaType)).toBe(false);
  });
});
