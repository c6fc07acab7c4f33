import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('drops the least recently used entry beyond its bound', () => {
    const cache = new LruCache<string, number>(2, 1000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('expires entries after the TTL, counted from when they were set', () => {
    let now = 0;
    const cache = new LruCache<string, number>(10, 100, () => now);
    cache.set('a', 1);
    now = 99;
    expect(cache.get('a')).toBe(1);
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('deletes by predicate and clears', () => {
    const cache = new LruCache<string, number>(10, 100);
    ['t1/1', 't1/2', 't2/1'].forEach((k, i) => cache.set(k, i));
    expect(cache.deleteWhere((k) => k.startsWith('t1/'))).toBe(2);
    expect(cache.get('t2/1')).toBe(2);
    expect(cache.delete('t2/1')).toBe(true);
    cache.set('x', 1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new LruCache(0, 1)).toThrow(RangeError);
    expect(() => new LruCache(1, 0)).toThrow(RangeError);
  });
});
