export * from './hashes';
export * from './tree-math';
export * from './compact-range';
export * from './proofs';
export * from './canonical-json';
export * from './tree-head';
export * from './export-verifier';
export * from './strict-json';
