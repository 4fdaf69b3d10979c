import type { ServiceDb, Tx } from '../db/database.js';
import type { RecordInputs } from './records-of-processing.js';

/** An organisation without a preferences row has the defaults (the same as the trust checks assume). */
const DEFAULT_PREFERENCES: RecordInputs['preferences'] = { retention_days: 30, dtmf_consent: true, consent_scope: 'listed_countries', transcript_encryption: false };

/** The organisation as controller; undefined when `db` cannot see it. */
export async function findController(db: ServiceDb | Tx, orgId: string): Promise<RecordInputs['organization'] | undefined> {
  const [org] = await db<RecordInputs['organization'][]>`select id, name, country from public.organizations where id = ${orgId}`;
  return org;
}

/** The organisation's privacy preferences that the record describes. */
export async function findRecordPreferences(db: ServiceDb | Tx, orgId: string): Promise<RecordInputs['preferences']> {
  const [prefs] = await db<RecordInputs['preferences'][]>`
    select retention_days, dtmf_consent, consent_scope, transcript_encryption from public.privacy_preferences where org_id = ${orgId}`;
  return prefs ?? DEFAULT_PREFERENCES;
}
