export * from './kafka-settings';
export * from './kafka.client';
export * from './event.publisher';
export * from './event.subscriber';
export * from './topics.admin';
export * from './kafka.module';
export * from './outbox.service';
