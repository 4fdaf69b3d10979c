import { CONSENT_SCOPES, RETENTION_CHOICES, type ConsentScope } from '../preferences/preferences-service.js';
import { DeleteOrgSection } from './account-page.js';
import { CsrfField, Layout, type PageContext } from './layout.js';

/** The values the privacy form shows: the stored ones, or what was just sent back with an error. */
export interface PrivacyValues {
  retention_days: number;
  dtmf_consent: boolean;
  consent_scope: ConsentScope;
  transcript_encryption: boolean;
  privacy_contact_email: string | null;
}

function scopeText(t: PageContext['t'], scope: ConsentScope): string {
  return scope === 'all_callers' ? t.scopeAllCallers : t.scopeListedCountries;
}

/**
 * The organisation's privacy settings: how long call data is kept, whether the
 * keypad consent prompt runs and whom it asks, and transcript encryption.
 * Owners and admins get the form; members see the same values, read-only.
 */
export function PrivacyPage({
  ctx,
  orgName,
  values,
  canEdit,
  saved,
  error,
  isOwner,
}: {
  ctx: PageContext;
  orgName: string;
  values: PrivacyValues;
  canEdit: boolean;
  saved?: boolean;
  error?: string;
  /** owners get the way to delete the organisation at the bottom */
  isOwner?: boolean;
}) {
  const { t } = ctx;
  const yesNo = (v: boolean) => (v ? t.on : t.off);
  return (
    <Layout ctx={ctx} title={`${t.privacyTitle}: ${orgName}`}>
      <p>{t.privacyIntro}</p>
      {saved && (
        <p class="notice" role="status">
          {t.privacySaved}
        </p>
      )}
      {error && (
        <p class="notice" role="alert" id="privacy-error">
          {error}
        </p>
      )}
      {canEdit ? (
        <form method="post" action={`/app/orgs/${ctx.orgId}/privacy`} class="stack" aria-describedby={error ? 'privacy-error' : undefined}>
          <CsrfField ctx={ctx} />
          <label for="retention">{t.retention}</label>
          <select id="retention" name="retention_days" aria-describedby="retention-hint">
            {RETENTION_CHOICES.map((d) => (
              <option value={String(d)} selected={d === values.retention_days}>
                {t.days.replace('{n}', String(d))}
              </option>
            ))}
          </select>
          <p id="retention-hint" class="hint">
            {t.retentionHint}
          </p>
          <div class="check">
            <input id="dtmf" name="dtmf_consent" type="checkbox" value="on" checked={values.dtmf_consent} />
            <label for="dtmf">{t.dtmfConsent}</label>
          </div>
          <label for="scope">{t.consentScope}</label>
          <select id="scope" name="consent_scope" aria-describedby="scope-hint">
            {CONSENT_SCOPES.map((s) => (
              <option value={s} selected={s === values.consent_scope}>
                {scopeText(t, s)}
              </option>
            ))}
          </select>
          <p id="scope-hint" class="hint">
            {t.consentScopeHint}
          </p>
          <div class="check">
            <input id="encryption" name="transcript_encryption" type="checkbox" value="on" checked={values.transcript_encryption} />
            <label for="encryption">{t.transcriptEncryption}</label>
          </div>
          <label for="privacy-contact">{t.privacyContact}</label>
          <input id="privacy-contact" name="privacy_contact_email" type="email" maxLength={254} autocomplete="email" value={values.privacy_contact_email ?? ''} aria-describedby="privacy-contact-hint" />
          <p id="privacy-contact-hint" class="hint">
            {t.privacyContactHint}
          </p>
          <button type="submit">{t.saveSettings}</button>
        </form>
      ) : (
        <>
          <p class="notice">{t.memberCannotChangePrivacy}</p>
          <dl>
            <dt>{t.retention}</dt>
            <dd>{t.days.replace('{n}', String(values.retention_days))}</dd>
            <dt>{t.dtmfConsent}</dt>
            <dd>{yesNo(values.dtmf_consent)}</dd>
            <dt>{t.consentScope}</dt>
            <dd>{scopeText(t, values.consent_scope)}</dd>
            <dt>{t.transcriptEncryption}</dt>
            <dd>{yesNo(values.transcript_encryption)}</dd>
            <dt>{t.privacyContact}</dt>
            <dd>{values.privacy_contact_email ?? t.none}</dd>
          </dl>
        </>
      )}
      {isOwner && <DeleteOrgSection ctx={ctx} />}
    </Layout>
  );
}
