export * from './ids';
export * from './http';
export * from './tokens';
export * from './kafka';
