import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and audit row of one request shares. */
export interface RequestContext {
  requestId: string;
  /** Network prefix of the client address (never the full address). */
  ip?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs fn with ctx as the current request context. */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current request's context, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
