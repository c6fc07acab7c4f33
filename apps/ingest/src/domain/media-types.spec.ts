import { checkMediaUpload, MEDIA_MAX_BYTES } from './media-types';

describe('checkMediaUpload', () => {
  it('takes the declared type over the file part’s, normalized', () => {
    expect(checkMediaUpload('Image/JPEG; charset=binary', 'application/octet-stream', 10)).toEqual({
      ok: true,
      mimeType: 'image/jpeg',
    });
    expect(checkMediaUpload(undefined, 'application/pdf', 10)).toEqual({ ok: true, mimeType: 'application/pdf' });
  });

  it('refuses unknown types, empty files and files over the type’s limit or Custody’s cap', () => {
    expect(checkMediaUpload('application/x-msdownload', 'x', 10)).toMatchObject({ ok: false });
    expect(checkMediaUpload('image/png', 'image/png', 0)).toMatchObject({ ok: false, details: 'The file is empty' });
    expect(checkMediaUpload('image/png', 'image/png', 5 * 1024 * 1024 + 1)).toMatchObject({ ok: false });
    expect(checkMediaUpload('image/webp', 'image/webp', 500 * 1024 + 1)).toMatchObject({ ok: false });
    expect(checkMediaUpload('application/pdf', 'application/pdf', MEDIA_MAX_BYTES)).toMatchObject({ ok: true });
    expect(checkMediaUpload('application/pdf', 'application/pdf', MEDIA_MAX_BYTES + 1)).toMatchObject({ ok: false });
  });
});
