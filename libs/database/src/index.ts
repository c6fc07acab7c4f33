export * from './data-source';
export * from './tenant-db';
export * from './rls';
export * from './migrate';
export * from './database.module';
export * from './outbox';
export * from './replica-registry';
export * from './audit-reads';
