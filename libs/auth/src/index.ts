export * from './roles';
export * from './signing-keys';
export * from './token-verifier';
export * from './auth.decorators';
export * from './auth.guard';
export * from './auth.module';
export * from './audit-read.interceptor';
