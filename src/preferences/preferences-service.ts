import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import * as repo from './preferences-repo.js';

export const RETENTION_CHOICES = [30, 90, 180, 365] as const;

/**
 * Whom the keypad consent prompt asks (with dtmf_consent on): callers from
 * DE, AT, CH and PL (the default), or every caller.
 */
export const CONSENT_SCOPES = ['listed_countries', 'all_callers'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export interface PrivacyPreferences {
  retention_days: (typeof RETENTION_CHOICES)[number];
  dtmf_consent: boolean;
  consent_scope: ConsentScope;
  transcript_encryption: boolean;
  /** The organisation's DPO or privacy contact: told of security incidents with the owners (Art. 33(2)). */
  privacy_contact_email: string | null;
  updated_at: Date;
}

export type PreferencesChange = Partial<Omit<PrivacyPreferences, 'updated_at'>>;

/** Called after a committed change, e.g. to push the retention window to the organisation's agents. */
export type PreferencesListener = (orgId: string, before: PrivacyPreferences, after: PrivacyPreferences) => Promise<void>;

/** Privacy preferences: members read, owners and admins change (audited). */
export function createPreferencesService(deps: { userDb: UserDb; listeners?: PreferencesListener[] }) {
  async function read(auth: AuthContext, orgId: string): Promise<PrivacyPreferences> {
    return deps.userDb.run(auth.claims, async (tx) => {
      await requireOrgRole(tx, orgId);
      const [row] = await repo.findPreferences(tx, orgId);
      if (!row) throw new NotFoundError('Organisation not found.');
      return row;
    });
  }

  async function update(auth: AuthContext, orgId: string, change: PreferencesChange): Promise<PrivacyPreferences> {
    const { before, after } = await deps.userDb.run(auth.claims, async (tx) => {
      await requireOrgRole(tx, orgId, ADMIN_ROLES);
      const [before] = await repo.lockPreferences(tx, orgId);
      if (!before) throw new NotFoundError('Organisation not found.');
      const next = {
        retention_days: change.retention_days ?? before.retention_days,
        dtmf_consent: change.dtmf_consent ?? before.dtmf_consent,
        consent_scope: change.consent_scope ?? before.consent_scope,
        transcript_encryption: change.transcript_encryption ?? before.transcript_encryption,
        privacy_contact_email: change.privacy_contact_email === undefined ? before.privacy_contact_email : change.privacy_contact_email,
      };
      const changed: Record<string, { from: unknown; to: unknown }> = {};
      for (const key of ['retention_days', 'dtmf_consent', 'consent_scope', 'transcript_encryption'] as const) {
        if (before[key] !== next[key]) changed[key] = { from: before[key], to: next[key] };
      }
      // The contact's address is personal data: the audit row says only that it changed.
      if (before.privacy_contact_email !== next.privacy_contact_email) changed.privacy_contact_email = { from: before.privacy_contact_email ? 'set' : 'unset', to: next.privacy_contact_email ? 'set' : 'unset' };
      // The change and its audit row are sent together (pipelined in one round trip).
      const [[after]] = await Promise.all([
        repo.updatePreferences(tx, orgId, next),
        writeAudit(tx, auth.actor, {
          orgId,
          action: 'privacy_preferences.updated',
          targetType: 'organization',
          targetId: orgId,
          metadata: { changed },
        }),
      ]);
      return { before, after: after! };
    });
    for (const listener of deps.listeners ?? []) await listener(orgId, before, after);
    return after;
  }

  return { read, update };
}

export type PreferencesService = ReturnType<typeof createPreferencesService>;
