import { KeyDistributionService } from './key-distribution.service';

/** The boot-time distribution's bookkeeping, with the repository and the crypto as stand-ins. */
describe('KeyDistributionService.distributeOlderTenants', () => {
  function setup(failing: Set<string>) {
    const undistributed = new Set(['t1', 't2', 't3']);
    const marked: string[] = [];
    const tenants = {
      undistributed: jest.fn(async (limit: number) => [...undistributed].sort().slice(0, limit)),
      appSecretCiphertext: jest.fn(async () => 'clear-secret'),
      markDistributed: jest.fn(async (id: string) => {
        undistributed.delete(id);
        marked.push(id);
        return true;
      }),
    };
    const cipher = {
      encrypt: jest.fn(async (id: string) => {
        if (failing.has(id)) {
          throw new Error('cannot unwrap data key');
        }
        return `v1.sealed-${id}`;
      }),
    };
    const keyring = { activeKey: jest.fn(async () => 1) };
    const outbox = { wake: jest.fn() };
    const service = new KeyDistributionService(tenants as never, keyring as never, cipher as never, outbox as never);
    return { service, marked };
  }

  it('publishes every tenant it can and skips, without stopping, one whose key cannot be unwrapped', async () => {
    const { service, marked } = setup(new Set(['t1']));
    await expect(service.distributeOlderTenants()).resolves.toEqual({ published: 2, failed: 1 });
    expect(marked).toEqual(['t2', 't3']);
  });

  it('reports nothing left when all went through', async () => {
    const { service, marked } = setup(new Set());
    await expect(service.distributeOlderTenants()).resolves.toEqual({ published: 3, failed: 0 });
    expect(marked).toEqual(['t1', 't2', 't3']);
  });
});
