/**
 * C2SP tlog-tiles paths (github.com/C2SP/C2SP tlog-tiles.md): tiles of height 8, so a full tile
 * holds 256 hashes (or 256 entries in an entry bundle). Tile N at level L holds the stored hashes
 * at tree level 8·L, indices N·256 … N·256+W−1; W is 256 for a full tile, 1–255 for a partial one
 * (`.p/W`). N is written in 3-digit groups, each but the last prefixed with `x`: 1234067 →
 * `x001/x234/067`.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface TileRef {
  /** `entries` for an entry bundle, else the tile level 0–63. */
  level: number | 'entries';
  index: number;
  width: number;
}

export function formatTileIndex(n: number): string {
  const digits = String(n);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export function formatTilePath(tile: TileRef): string {
  const width = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${width}`;
}

/** Parses the segments after `tile/` (e.g. `['0', 'x001', '234.p', '7']`); undefined unless in the one canonical form. */
export function parseTilePath(segments: string[]): TileRef | undefined {
  if (segments.length < 2) {
    return undefined;
  }
  const [levelText, ...rest] = segments;
  const level: TileRef['level'] | undefined =
    levelText === 'entries'
      ? 'entries'
      : /^(0|[1-9][0-9]?)$/.test(levelText) && Number(levelText) <= 63
        ? Number(levelText)
        : undefined;
  if (level === undefined) {
    return undefined;
  }
  let width = TILE_WIDTH;
  if (rest.length >= 2 && rest[rest.length - 2].endsWith('.p')) {
    const w = rest.pop()!;
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) {
      return undefined;
    }
    width = Number(w);
    rest[rest.length - 1] = rest[rest.length - 1].slice(0, -2);
  }
  if (!rest.every((g, i) => (i < rest.length - 1 ? /^x[0-9]{3}$/ : /^[0-9]{3}$/).test(g))) {
    return undefined;
  }
  const index = Number(rest.map((g) => g.replace('x', '')).join(''));
  if (!Number.isSafeInteger(index)) {
    return undefined;
  }
  const tile: TileRef = { level, index, width };
  return formatTilePath(tile) === `tile/${segments.join('/')}` ? tile : undefined;
}
