import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import { maskNumber } from '../calls/calls-service.js';
import type { UserDb } from '../db/user-db.js';
import { readOrgSubject, subjectHash } from '../erasure/erasure-service.js';
import type { ErasureSubject } from '../erasure/erasure-types.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import * as repo from './legal-holds-repo.js';

/** A hold as the API shows it: the subject masked, whether it is in force now. */
export interface LegalHold {
  id: string;
  subject_type: 'email' | 'phone';
  /** e.g. "+49•••89" or "e•••@example.com": enough for the organisation to recognise whom it holds, never the value */
  subject: string | null;
  reason: string;
  until: Date | null;
  active: boolean;
  placed_by: string | null;
  placed_at: Date;
  ended_at: Date | null;
  ended_by: string | null;
}

/** The masked form a hold's list shows: the number's prefix and last two digits, or the address's first letter and domain. */
export function maskSubject(subject: ErasureSubject): string {
  if (subject.type === 'phone') return maskNumber(subject.value) ?? '•••';
  const [local, domain] = subject.value.split('@');
  return `${(local ?? '').slice(0, 1)}•••@${domain ?? ''}`;
}

function shown(row: repo.LegalHoldRow, now: Date): LegalHold {
  return {
    id: row.id,
    subject_type: row.subject_type,
    subject: row.subject_hint,
    reason: row.reason,
    until: row.held_until,
    active: !row.ended_at && (!row.held_until || row.held_until > now),
    placed_by: row.placed_by,
    placed_at: row.placed_at,
    ended_at: row.ended_at,
    ended_by: row.ended_by,
  };
}

/**
 * Legal holds (Art. 17(3)): an owner or admin records that the organisation
 * must keep a person's data (a legal obligation, legal claims), for a stated
 * reason and optionally until a date. While a hold is active, erasure
 * requests skip that organisation's data of the person (and tell the
 * requester why), the retention purge leaves it, and the account cannot be
 * deleted. The person is stored as the keyed hash of their number or address
 * (the blind index erasure uses) and a masked hint. Every action, the list
 * included, runs under RLS with the user's token and is audited (ids only).
 */
export function createLegalHoldsService(deps: { userDb: UserDb; blindIndexKey: Buffer; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    async place(auth: AuthContext, orgId: string, input: { subject: ErasureSubject; reason: string; until: Date | null }): Promise<LegalHold> {
      if (input.until && input.until <= now()) throw new UnprocessableError('invalid_until', 'until must be in the future (an ISO date-time).');
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const subject = await readOrgSubject(tx, orgId, input.subject);
        const row = await repo.insertHold(tx, {
          orgId,
          subjectType: subject.type,
          subjectHash: subjectHash(deps.blindIndexKey, subject),
          subjectHint: maskSubject(subject),
          reason: input.reason,
          heldUntil: input.until,
        });
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'legal_hold.placed',
          targetType: 'legal_hold',
          targetId: row.id,
          metadata: { subject_type: subject.type, until: input.until ? input.until.toISOString() : null },
        });
        return shown(row, now());
      });
    },

    async list(auth: AuthContext, orgId: string): Promise<LegalHold[]> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const rows = await repo.listHolds(tx, orgId);
        await writeAudit(tx, auth.actor, { orgId, action: 'legal_holds.listed', targetType: 'organization', targetId: orgId, metadata: { count: rows.length } });
        const t = now();
        return rows.map((r) => shown(r, t));
      });
    },

    /** Ends a hold now: the erasure it kept back is carried out by the next erasure job run. */
    async end(auth: AuthContext, orgId: string, holdId: string): Promise<LegalHold> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const existing = await repo.findHold(tx, orgId, holdId);
        if (!existing) throw new NotFoundError('No such legal hold in this organisation.');
        if (existing.ended_at) throw new ConflictError('That legal hold has already ended.');
        const row = await repo.endHold(tx, orgId, holdId);
        if (!row) throw new ConflictError('That legal hold has already ended.');
        await writeAudit(tx, auth.actor, { orgId, action: 'legal_hold.ended', targetType: 'legal_hold', targetId: holdId, metadata: {} });
        return shown(row, now());
      });
    },
  };
}

export type LegalHoldsService = ReturnType<typeof createLegalHoldsService>;
