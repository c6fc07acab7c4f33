import { CompactSign, compactVerify, CryptoKey, decodeProtectedHeader, importJWK, JWK } from 'jose';
import { canonicalBytes } from './canonical-json';
import { decodeHash, encodeHash } from './hashes';

/** The statement a signed tree head makes (the JWS payload, canonical JSON). */
export interface TreeHeadStatement {
  type: typeof TREE_HEAD_TYPE;
  /** Which log: one per tenant, e.g. `consent.custody.example/6f1c…`. */
  origin: string;
  treeSize: number;
  /** MTH of the first treeSize leaves, base64. */
  rootHash: string;
  /** Milliseconds since the Unix epoch when the head was signed. */
  timestamp: number;
}

/** What the log publishes: the statement's fields, the key id and the compact JWS over them. */
export interface SignedTreeHead extends Omit<TreeHeadStatement, 'type'> {
  keyId: string;
  signature: string;
}

export const TREE_HEAD_TYPE = 'custody.consent.tree-head.v1';
export const TREE_HEAD_JWS_TYP = 'custody-sth+json';

/** Signs a tree head with an Ed25519 private key (JWS compact serialization, alg EdDSA). */
export async function signTreeHead(
  head: Omit<TreeHeadStatement, 'type'>,
  key: CryptoKey,
  keyId: string,
): Promise<SignedTreeHead> {
  const statement: TreeHeadStatement = { type: TREE_HEAD_TYPE, ...head };
  const signature = await new CompactSign(canonicalBytes(statement))
    .setProtectedHeader({ alg: 'EdDSA', kid: keyId, typ: TREE_HEAD_JWS_TYP })
    .sign(key);
  return { ...head, keyId, signature };
}

export class TreeHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeHeadError';
  }
}

/** A verified head: hashes decoded, ready for proof checks. */
export interface VerifiedTreeHead {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
  timestamp: number;
  keyId: string;
}

/**
 * Verifies a signed tree head against the log's public keys (a JWKS or one JWK) and returns
 * what the signature covers. The displayed fields must equal the signed ones; only EdDSA.
 */
export async function verifyTreeHead(sth: unknown, keys: { keys: JWK[] } | JWK): Promise<VerifiedTreeHead> {
  const signature = (sth as { signature?: unknown } | null)?.signature;
  if (typeof signature !== 'string') {
    throw new TreeHeadError('tree head has no signature');
  }
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(signature);
    if (header.alg !== 'EdDSA' || header.typ !== TREE_HEAD_JWS_TYP) {
      throw new TreeHeadError(`tree head must be signed with EdDSA and typ ${TREE_HEAD_JWS_TYP}`);
    }
    kid = header.kid;
  } catch (error) {
    if (error instanceof TreeHeadError) {
      throw error;
    }
    throw new TreeHeadError('tree head signature is not a compact JWS');
  }
  const candidates = 'keys' in keys ? keys.keys : [keys];
  const jwk =
    candidates.find((k) => k.kid === kid) ??
    (candidates.length === 1 && !candidates[0].kid ? candidates[0] : undefined);
  if (!jwk) {
    throw new TreeHeadError(`no public key with kid ${kid ?? '(none)'} among the log keys given`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk) {
    throw new TreeHeadError('log key must be a public Ed25519 JWK (kty OKP, crv Ed25519)');
  }
  let payload: Uint8Array;
  try {
    const key = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
    ({ payload } = await compactVerify(signature, key, { algorithms: ['EdDSA'] }));
  } catch {
    throw new TreeHeadError('tree head signature does not verify with the log key');
  }
  let statement: TreeHeadStatement;
  try {
    statement = JSON.parse(Buffer.from(payload).toString('utf8')) as TreeHeadStatement;
  } catch {
    throw new TreeHeadError('signed payload is not JSON');
  }
  if (!canonicalBytes(statement).equals(Buffer.from(payload))) {
    throw new TreeHeadError('signed payload is not canonical JSON');
  }
  if (
    statement.type !== TREE_HEAD_TYPE ||
    typeof statement.origin !== 'string' ||
    !Number.isSafeInteger(statement.treeSize)
  ) {
    throw new TreeHeadError(`signed payload is not a ${TREE_HEAD_TYPE} statement`);
  }
  const shown = sth as Partial<SignedTreeHead>;
  for (const field of ['origin', 'treeSize', 'rootHash', 'timestamp'] as const) {
    if (shown[field] !== undefined && shown[field] !== statement[field]) {
      throw new TreeHeadError(`tree head field ${field} differs from what the signature covers`);
    }
  }
  return {
    origin: statement.origin,
    treeSize: statement.treeSize,
    rootHash: decodeHash(statement.rootHash, 'rootHash'),
    timestamp: statement.timestamp,
    keyId: kid ?? '',
  };
}

export { encodeHash };
