import { formatTileIndex, formatTilePath, parseTilePath } from './tiles';

describe('tlog-tiles paths', () => {
  it('writes and reads indices in 3-digit groups', () => {
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTilePath({ level: 0, index: 0, width: 7 })).toBe('tile/0/000.p/7');
    expect(formatTilePath({ level: 'entries', index: 1234067, width: 256 })).toBe('tile/entries/x001/x234/067');
    expect(parseTilePath(['0', '000.p', '7'])).toEqual({ level: 0, index: 0, width: 7 });
    expect(parseTilePath(['entries', 'x001', 'x234', '067'])).toEqual({ level: 'entries', index: 1234067, width: 256 });
    expect(parseTilePath(['63', '001'])).toEqual({ level: 63, index: 1, width: 256 });
  });

  it('refuses every other spelling', () => {
    for (const bad of [
      ['0'],
      ['64', '000'],
      ['01', '000'],
      ['0', '0'],
      ['0', 'x000', '001'],
      ['0', '000.p', '256'],
      ['0', '000.p', '0'],
      ['0', '000.p', '07'],
      ['0', 'x1', '000'],
      ['data', '000'],
    ]) {
      expect(parseTilePath(bad)).toBeUndefined();
    }
  });
});
