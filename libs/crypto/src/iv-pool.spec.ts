import { IvPool } from './iv-pool';

describe('IvPool', () => {
  it('hands out distinct 12-byte IVs across refills, each an independent copy', () => {
    const pool = new IvPool(12);
    const ivs = Array.from({ length: 3000 }, () => pool.next());
    expect(ivs.every((iv) => iv.length === 12)).toBe(true);
    expect(new Set(ivs.map((iv) => iv.toString('hex'))).size).toBe(3000);
    const first = Buffer.from(ivs[0]);
    ivs[1].fill(0);
    expect(ivs[0]).toEqual(first);
  });

  it('refuses sizes that do not divide the pool', () => {
    expect(() => new IvPool(7)).toThrow(RangeError);
  });
});
