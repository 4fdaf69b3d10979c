import { currentContext } from '../lib/request-context.js';
import type { ServiceDb, Tx } from '../db/database.js';
import * as repo from './audit-repo.js';

/** Who did something. While an operator impersonates a user, both are named. */
export interface AuditActor {
  type: 'user' | 'operator' | 'system' | 'provider' | 'public';
  id?: string | null;
  actingAsId?: string | null;
}

export interface AuditEntry {
  orgId?: string | null;
  /** dotted lower-case verb, e.g. `member.role_changed` */
  action: string;
  targetType?: string;
  targetId?: string | null;
  /** Ids, counts, enums and keyed hashes only: audit rows can never be erased. */
  metadata?: Record<string, unknown>;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system' };

const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/;
// an international number, or a bare run of 9 to 15 digits
const PHONE_LIKE = /\+\d[\d\s().-]{6,}\d|(?<!\d)\d{9,15}(?!\d)/;
// Ids and timestamps are welcome and may look like digit runs: removed before the checks.
const HARMLESS = /\b[0-9a-f]{64}\b|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?/gi;

/** Refuses metadata that carries something that looks like an e-mail address or phone number. */
export function assertNoPersonalData(value: unknown, where = 'metadata'): void {
  if (typeof value === 'string') {
    const rest = value.replace(HARMLESS, ' ');
    if (EMAIL_LIKE.test(rest) || PHONE_LIKE.test(rest)) {
      throw new Error(`audit ${where} must not contain personal data`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPersonalData(v, `${where}[${i}]`));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertNoPersonalData(v, `${where}.${k}`);
  }
}

/**
 * Appends one row to the audit log (audit-repo.ts owns the table's SQL), in the caller's transaction when given one
 * (so the action and its record commit together). The request id and client
 * network come from the request context. The database links the row into the
 * organisation's hash chain.
 */
export async function writeAudit(db: Tx | ServiceDb, actor: AuditActor, entry: AuditEntry): Promise<void> {
  const metadata = entry.metadata ?? {};
  assertNoPersonalData(metadata);
  const ctx = currentContext();
  await repo.insertAuditLog(db, {
    orgId: entry.orgId ?? null,
    actorType: actor.type,
    actorId: actor.id ?? null,
    actingAsId: actor.actingAsId ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    requestId: ctx?.requestId ?? null,
    ip: ctx?.ip ?? null,
    metadata,
  });
}
