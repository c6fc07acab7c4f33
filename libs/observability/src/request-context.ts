import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and outgoing event of one unit of work (a request, a Kafka message) carries. */
export interface RequestContext {
  requestId: string;
  tenantId?: string;
  subject?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Called by the auth guard once the caller is known, so later log lines name the tenant. */
export function bindTenant(tenantId: string | undefined, subject: string | undefined): void {
  const ctx = storage.getStore();
  if (ctx) {
    ctx.tenantId = tenantId;
    ctx.subject = subject;
  }
}
