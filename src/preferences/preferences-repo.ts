/**
 * SQL for public.privacy_preferences: one row per organisation. Each function
 * takes the transaction or connection to run on (a user's transaction runs
 * under RLS).
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';
import type { PrivacyPreferences } from './preferences-service.js';

/** A new organisation's preferences: the defaults of the table (the demo seed). */
export function insertDefaultPreferences(tx: Tx, orgId: string) {
  return tx`insert into public.privacy_preferences (org_id) values (${orgId})`;
}

export function findPreferences(tx: Tx, orgId: string) {
  return tx<PrivacyPreferences[]>`
        select retention_days, dtmf_consent, consent_scope, transcript_encryption, privacy_contact_email, updated_at
        from public.privacy_preferences where org_id = ${orgId}`;
}

/** The preferences, locked for the rest of the transaction. */
export function lockPreferences(tx: Tx, orgId: string) {
  return tx<PrivacyPreferences[]>`
        select retention_days, dtmf_consent, consent_scope, transcript_encryption, privacy_contact_email, updated_at
        from public.privacy_preferences where org_id = ${orgId} for update`;
}

export function updatePreferences(tx: Tx, orgId: string, next: Omit<PrivacyPreferences, 'updated_at'>) {
  return tx<PrivacyPreferences[]>`
          update public.privacy_preferences set
            retention_days = ${next.retention_days},
            dtmf_consent = ${next.dtmf_consent},
            consent_scope = ${next.consent_scope},
            transcript_encryption = ${next.transcript_encryption},
            privacy_contact_email = ${next.privacy_contact_email},
            updated_by = auth.uid()
          where org_id = ${orgId}
          returning retention_days, dtmf_consent, consent_scope, transcript_encryption, privacy_contact_email, updated_at`;
}

/** The organisation's retention window in days. */
export function findRetentionDays(db: Tx | ServiceDb, orgId: string) {
  return db<{ retention_days: number }[]>`
      select retention_days from public.privacy_preferences where org_id = ${orgId}`;
}

/** Whether the organisation encrypts transcripts. */
export function findTranscriptEncryption(db: Tx | ServiceDb, orgId: string) {
  return db<{ transcript_encryption: boolean }[]>`
          select transcript_encryption from public.privacy_preferences where org_id = ${orgId}`;
}

/** The preferences for an export, with the personal columns the map exports (under RLS). */
export async function findPreferencesForExport(tx: Tx, orgId: string) {
  const [row] = await tx`
    select ${tx(['retention_days', 'dtmf_consent', 'consent_scope', 'transcript_encryption', 'updated_at', ...exportedColumns('privacy_preferences')])}
    from public.privacy_preferences where org_id = ${orgId}`;
  return row;
}
