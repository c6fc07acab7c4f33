import { currentStatus, NetworkStatus } from './message-status';

describe('currentStatus', () => {
  it('is accepted with nothing reported', () => {
    expect(currentStatus([])).toBe('accepted');
  });

  it.each<[NetworkStatus[], string]>([
    [['sent', 'delivered', 'read'], 'read'],
    [['read', 'sent', 'delivered'], 'read'],
    [['delivered', 'delivered', 'sent'], 'delivered'],
    [['read'], 'read'],
    [['sent', 'failed'], 'failed'],
    [['failed', 'sent', 'sent'], 'failed'],
    [['delivered', 'failed'], 'delivered'],
  ])('%j → %s whatever the order', (reported, expected) => {
    expect(currentStatus(reported)).toBe(expected);
    expect(currentStatus([...reported].reverse())).toBe(expected);
  });
});
