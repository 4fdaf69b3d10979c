import { z } from 'zod';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { listOrgEntries } from './audit-repo.js';

/** Entry numbers are bigints in the database: beyond this a JavaScript number can no longer say which entry. */
export const activityBefore = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The query the activity log is read with: page size, and the cursor (the entry to read before). */
export const activityQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: activityBefore.optional(),
});

export type ActivityQuery = z.infer<typeof activityQuery>;

/** One entry of the activity log, as the API answers it. */
export interface ActivityEntry {
  id: string;
  /** The entry's number in the organisation's hash chain: the paging cursor. */
  sequence: number;
  actor_type: string;
  actor_id: string | null;
  acting_as_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

/** A page of the log, newest first; `next_before` reads the next (older) page, null when this page is the last. */
export interface ActivityPage {
  entries: ActivityEntry[];
  next_before: number | null;
}

/**
 * An organisation's activity log (its audit entries), newest first, for its
 * owners and admins: run as the signed-in person, so RLS decides too. The API
 * and the dashboard's activity page both read it here.
 */
export async function listActivity(userDb: UserDb, auth: AuthContext, orgId: string, q: ActivityQuery): Promise<ActivityPage> {
  const rows = await userDb.run(auth.claims, async (tx) => {
    await requireOrgRole(tx, orgId, ADMIN_ROLES);
    return listOrgEntries(tx, orgId, q);
  });
  const entries = rows.map((e) => ({ ...e, sequence: Number(e.sequence) }) as unknown as ActivityEntry);
  const last = entries.at(-1);
  return { entries, next_before: entries.length === q.limit && last ? last.sequence : null };
}
