#!/usr/bin/env node
// Micro-benchmark of @custody/crypto on the message path: FieldCipher encrypt + decrypt of
// 200-byte and 4 KiB bodies against a no-op codec with the same async shape, in the same run.
// Keys are warm (cached), as on a busy replica; no database or network is involved.
//
//   source scripts/node-env.sh && npx tsc -b libs/crypto/tsconfig.build.json && node scripts/bench-crypto.mjs
//   BENCH_SECONDS=2 BENCH_ROUNDS=5 node scripts/bench-crypto.mjs     (longer, steadier)
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'libs/crypto/dist/index.js');
if (!existsSync(dist)) {
  console.error('bench-crypto: build the lib first: npx tsc -b libs/crypto/tsconfig.build.json');
  process.exit(1);
}
const { FieldCipher, LocalKeyProvider, MemoryDataKeyStore, TenantKeyring } = createRequire(import.meta.url)(dist);

const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const TENANTS = 100;
const SIZES = [200, 4096];

const keyring = new TenantKeyring(new MemoryDataKeyStore(), LocalKeyProvider.ephemeral(['mk-bench']));
const cipher = new FieldCipher(keyring);
const tenants = Array.from({ length: TENANTS }, () => randomUUID());

/** The same calls with nothing done: what the message path costs without encryption. */
const noop = {
  encrypt: async (_tenant, plaintext) => plaintext,
  decryptString: async (_tenant, stored) => stored,
};

function text(bytes) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,!?';
  let s = '';
  while (s.length < bytes) {
    s += alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return s;
}

/** Runs `op(i)` sequentially for about `seconds`; returns operations per second. */
async function measure(op) {
  for (let i = 0; i < 2000; i++) {
    await op(i);
  }
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let j = 0; j < 500; j++, n++) {
      await op(n);
    }
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(codec, size, kind) {
  const plaintext = text(size);
  const aad = (i) => ({ messageId: `wamid.${i}`, field: 'body' });
  // Pre-encrypt a ring of stored values so decrypt-only reads distinct rows of distinct tenants.
  const stored = [];
  for (let i = 0; i < 256; i++) {
    stored.push(await codec.encrypt(tenants[i % TENANTS], plaintext, aad(i)));
  }
  const ops = {
    encrypt: (i) => codec.encrypt(tenants[i % TENANTS], plaintext, aad(i)),
    decrypt: (i) => codec.decryptString(tenants[(i & 255) % TENANTS], stored[i & 255], aad(i & 255)),
    'encrypt+decrypt': async (i) => {
      const t = tenants[i % TENANTS];
      const envelope = await codec.encrypt(t, plaintext, aad(i));
      const back = await codec.decryptString(t, envelope, aad(i));
      if (back.length !== plaintext.length) {
        throw new Error('round trip failed');
      }
    },
  };
  const results = [];
  for (let r = 0; r < rounds; r++) {
    results.push(await measure(ops[kind]));
  }
  return { opsPerSecond: median(results), envelopeChars: stored[0].length };
}

for (const t of tenants) {
  await keyring.activeKey(t);
}

console.log(`# @custody/crypto micro-benchmark`);
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cpus), ${TENANTS} tenants with warm keys,`,
);
console.log(`sequential awaits on one thread, median of ${rounds} rounds of ${seconds}s each`);
console.log('');
console.log(
  '| size | operation | no-op ops/s | AES-256-GCM ops/s | no-op MB/s | AES-256-GCM MB/s | added µs/op | stored size |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
for (const size of SIZES) {
  for (const kind of ['encrypt', 'decrypt', 'encrypt+decrypt']) {
    const base = await bench(noop, size, kind);
    const real = await bench(cipher, size, kind);
    const mb = (ops) => ((ops * size) / 1e6).toFixed(1);
    const addedMicros = (1e6 / real.opsPerSecond - 1e6 / base.opsPerSecond).toFixed(2);
    console.log(
      `| ${size === 4096 ? '4 KiB' : `${size} B`} | ${kind} | ${Math.round(base.opsPerSecond).toLocaleString('en-US')} | ${Math.round(real.opsPerSecond).toLocaleString('en-US')} | ${mb(base.opsPerSecond)} | ${mb(real.opsPerSecond)} | ${addedMicros} | ${real.envelopeChars} chars |`,
    );
  }
}
console.log('');
console.log('MB/s counts plaintext bytes (one message per op; an encrypt+decrypt op moves the message twice).');
