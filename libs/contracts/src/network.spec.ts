import { NETWORK_SIGNATURE_WINDOW_SECONDS, signBody, verifySignature } from './network';

describe('network signatures', () => {
  const secret = 'network-secret-network-secret';
  const body = '{"events":[]}';

  it('verifies a fresh signature over the body and its timestamp', () => {
    expect(verifySignature(secret, body, signBody(secret, body))).toBe(true);
    expect(verifySignature(secret, `${body} `, signBody(secret, body))).toBe(false);
    expect(verifySignature('another-secret-another-secret', body, signBody(secret, body))).toBe(false);
  });

  it('refuses a replay outside the window, a moved timestamp and the old untimed form', () => {
    const now = Date.now();
    const old = signBody(secret, body, now - (NETWORK_SIGNATURE_WINDOW_SECONDS + 1) * 1000);
    expect(verifySignature(secret, body, old, now)).toBe(false);
    const future = signBody(secret, body, now + (NETWORK_SIGNATURE_WINDOW_SECONDS + 1) * 1000);
    expect(verifySignature(secret, body, future, now)).toBe(false);
    const edge = signBody(secret, body, now - (NETWORK_SIGNATURE_WINDOW_SECONDS - 1) * 1000);
    expect(verifySignature(secret, body, edge, now)).toBe(true);
    // The MAC covers the timestamp: giving a captured signature a fresh time does not pass.
    const [, mac] = old.split(',');
    expect(verifySignature(secret, body, `t=${Math.floor(now / 1000)},${mac}`, now)).toBe(false);
    expect(verifySignature(secret, body, mac, now)).toBe(false);
    expect(verifySignature(secret, body, undefined, now)).toBe(false);
  });
});
