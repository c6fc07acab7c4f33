export * from './topics';
export * from './custody-marking';
export * from './events';
export * from './validation';
export * from './message-events';
export * from './network';
export * from './consent-events';
