import { KeyDistributionService } from './key-distribution.service';

/** The boot-time distribution's bookkeeping, with the repository and the crypto as stand-ins. */
describe('KeyDistributionService.distributeOlderTenants', () => {
  function setup(failing: Set<string>, unindexed: string[] = []) {
    const undistributed = new Set(['t1', 't2', 't3']);
    const marked: string[] = [];
    const tenants = {
      undistributed: jest.fn(async (limit: number) => [...undistributed].sort().slice(0, limit)),
      appSecretCiphertext: jest.fn(async () => 'clear-secret'),
      withoutIndexKey: jest.fn(async (limit: number) => unindexed.slice(0, limit)),
      republish: jest.fn(async (id: string) => {
        unindexed.splice(unindexed.indexOf(id), 1);
        return true;
      }),
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
    const indexKeys = { ensure: jest.fn(async () => undefined) };
    const service = new KeyDistributionService(
      tenants as never,
      keyring as never,
      cipher as never,
      indexKeys as never,
      outbox as never,
    );
    return { service, marked, indexKeys, tenants };
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

  it('makes and publishes the customer index key of tenants from before index keys', async () => {
    const { service, indexKeys, tenants } = setup(new Set(), ['t1', 't9']);
    await expect(service.distributeOlderTenants()).resolves.toEqual({ published: 5, failed: 0 });
    expect(indexKeys.ensure.mock.calls.map((c: unknown[]) => c[0])).toEqual(['t1', 't9']);
    expect(tenants.republish).toHaveBeenCalledTimes(2);
  });
});
