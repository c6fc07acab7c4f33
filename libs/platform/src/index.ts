export * from './config';
export * from './config-decorators';
export * from './errors';
export * from './bootstrap';
export * from './env';
export * from './paging';
export * from './egress-guard';
export * from './dto-decorators';
