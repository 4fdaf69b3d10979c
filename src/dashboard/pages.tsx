import type { ComponentChildren } from 'preact';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

/** A page that only says something: a refusal, an error, a sent link. */
export function MessagePage({ ctx, title, message, link }: { ctx: PageContext; title: string; message: string; link?: { href: string; text: string } }) {
  return (
    <Layout ctx={ctx} title={title}>
      <p class="notice" role="status">
        {message}
      </p>
      {link && (
        <p>
          <a href={link.href}>{link.text}</a>
        </p>
      )}
    </Layout>
  );
}

export function SignInPage({ ctx, sent, available }: { ctx: PageContext; sent: boolean; available: boolean }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.signInTitle}>
      {sent && (
        <p class="notice" role="status">
          {t.linkSent}
        </p>
      )}
      {available ? <p>{t.signInIntro}</p> : <p>{t.signInUnavailable}</p>}
      {available && (
        <form method="post" action="/app/sign-in" class="stack">
          <CsrfField ctx={ctx} />
          <label for="email">{t.email}</label>
          <input id="email" name="email" type="email" autocomplete="email" required maxLength={254} />
          <button type="submit">{t.sendLink}</button>
        </form>
      )}
    </Layout>
  );
}

export interface OrgListItem {
  id: string;
  name: string;
  role: string;
}

export function OrgsPage({ ctx, orgs, notices }: { ctx: PageContext; orgs: OrgListItem[]; notices?: ComponentChildren }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.orgsTitle}>
      {notices}
      {orgs.length === 0 ? (
        <p>{t.noOrgs}</p>
      ) : (
        <TableWrap label={t.orgsTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.name}</th>
                <th scope="col">{t.role}</th>
              </tr>
            </thead>
            <tbody>
              {orgs.map((o) => (
                <tr>
                  <td>
                    <a href={`/app/orgs/${o.id}/calls`}>{o.name}</a>
                  </td>
                  <td>{o.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2>{t.createOrg}</h2>
      <form method="post" action="/app/orgs" class="stack">
        <CsrfField ctx={ctx} />
        <label for="org-name">{t.orgName}</label>
        <input id="org-name" name="name" required maxLength={200} />
        <button type="submit">{t.create}</button>
      </form>
    </Layout>
  );
}

export const CONSENT_STATES = ['not_required', 'pending', 'given', 'refused', 'withdrawn', 'do_not_record'] as const;
/** Twilio's final call statuses, which become a call's outcome. */
export const OUTCOMES = ['completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;

export interface CallRow {
  id: string;
  caller: string | null;
  status: string;
  consent_state: string;
  outcome: string | null;
  started_at: Date;
  duration_seconds: number | null;
}

export interface CallFilterValues {
  from?: string;
  to?: string;
  outcome?: string;
  consent?: string;
}

function time(d: Date | string | null | undefined, t: PageContext['t']): string {
  if (!d) return t.none;
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function CallsPage({ ctx, orgName, calls, filters }: { ctx: PageContext; orgName: string; calls: CallRow[]; filters: CallFilterValues }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={`${t.callsTitle}: ${orgName}`}>
      <form method="get" class="filters" aria-label={t.filters}>
        <div>
          <label for="f-from">{t.from}</label>
          <input id="f-from" name="from" type="date" value={filters.from ?? ''} />
        </div>
        <div>
          <label for="f-to">{t.to}</label>
          <input id="f-to" name="to" type="date" value={filters.to ?? ''} />
        </div>
        <div>
          <label for="f-outcome">{t.outcome}</label>
          <select id="f-outcome" name="outcome">
            <option value="">{t.any}</option>
            {OUTCOMES.map((o) => (
              <option value={o} selected={filters.outcome === o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-consent">{t.consentState}</label>
          <select id="f-consent" name="consent">
            <option value="">{t.any}</option>
            {CONSENT_STATES.map((c) => (
              <option value={c} selected={filters.consent === c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t.apply}</button>
      </form>
      {calls.length === 0 ? (
        <p>{t.noCalls}</p>
      ) : (
        <TableWrap label={t.callsTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.started}</th>
                <th scope="col">{t.caller}</th>
                <th scope="col">{t.status}</th>
                <th scope="col">{t.consentState}</th>
                <th scope="col">{t.outcome}</th>
                <th scope="col">{t.duration}</th>
              </tr>
            </thead>
            <tbody>
              {calls.map((c) => (
                <tr>
                  <td>
                    <a href={`/app/orgs/${ctx.orgId}/calls/${c.id}`}>{time(c.started_at, t)}</a>
                  </td>
                  <td>{c.caller ?? t.none}</td>
                  <td>{c.status}</td>
                  <td>{c.consent_state}</td>
                  <td>{c.outcome ?? t.none}</td>
                  <td>{c.duration_seconds ?? t.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Layout>
  );
}

export interface CallDetail {
  id: string;
  from_number: string | null;
  status: string;
  consent_state: string;
  consent_language: string | null;
  greeting_sha256: string | null;
  disclosure_version: string | null;
  started_at: Date;
  ended_at: Date | null;
  outcome: string | null;
  consents: { digit: string | null; outcome: string; attempt: number; prompt_language: string | null; prompt_version: string | null; created_at: Date }[];
  recordings: {
    id: string;
    status: string;
    duration_seconds: number | null;
    sha256: string | null;
    storage_bucket?: string | null;
    storage_object_key?: string | null;
    storage_delivered_at?: Date | string | null;
  }[];
  transcript: { id: string; turns?: unknown; error?: 'undecryptable' } | null;
}

function Transcript({ ctx, transcript }: { ctx: PageContext; transcript: CallDetail['transcript'] }) {
  const { t } = ctx;
  if (!transcript) return <p>{t.noTranscript}</p>;
  if (transcript.error) return <p class="notice">{t.undecryptable}</p>;
  const turns = Array.isArray(transcript.turns) ? (transcript.turns as { role?: unknown; message?: unknown }[]) : [];
  return (
    <ol class="turns">
      {turns.map((turn) => (
        <li>
          <strong>{String(turn.role ?? '')}:</strong> {String(turn.message ?? '')}
        </li>
      ))}
    </ol>
  );
}

export function CallPage({ ctx, call, canDelete }: { ctx: PageContext; call: CallDetail; canDelete: boolean }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={`${t.callTitle} ${time(call.started_at, t)}`}>
      <p>
        <a href={`/app/orgs/${ctx.orgId}/calls`}>{t.back}</a>
      </p>
      <dl>
        <dt>{t.caller}</dt>
        <dd>{call.from_number ?? t.none}</dd>
        <dt>{t.status}</dt>
        <dd>{call.status}</dd>
        <dt>{t.outcome}</dt>
        <dd>{call.outcome ?? t.none}</dd>
        <dt>{t.consentState}</dt>
        <dd>{call.consent_state}</dd>
      </dl>
      <h2>{t.consentProof}</h2>
      {call.consents.length === 0 ? (
        <p>{t.noConsents}</p>
      ) : (
        <TableWrap label={t.consentProof}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.at}</th>
                <th scope="col">{t.method}</th>
                <th scope="col">{t.decision}</th>
                <th scope="col">{t.language}</th>
              </tr>
            </thead>
            <tbody>
              {call.consents.map((c) => (
                <tr>
                  <td>{time(c.created_at, t)}</td>
                  <td>{c.digit ? `DTMF ${c.digit}` : t.none}</td>
                  <td>{c.outcome}</td>
                  <td>{c.prompt_language ?? t.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2>{t.greetingProof}</h2>
      <dl>
        <dt>{t.greetingHash}</dt>
        <dd>
          <code>{call.greeting_sha256 ?? t.none}</code>
        </dd>
        <dt>{t.disclosureVersion}</dt>
        <dd>{call.disclosure_version ?? t.none}</dd>
      </dl>
      <h2>{t.recordings}</h2>
      {call.recordings.length === 0 ? (
        <p>{t.noRecordings}</p>
      ) : (
        <ul>
          {call.recordings.map((r) => (
            <li>
              {r.status}, {r.duration_seconds ?? t.none} s, {t.recordingHash}: <code>{r.sha256 ?? t.none}</code>,{' '}
              <span class="recording-location">
                {r.storage_object_key
                  ? t.recordingInStorage
                      .replace('{location}', `s3://${r.storage_bucket ?? ''}/${r.storage_object_key}`)
                      .replace('{at}', r.storage_delivered_at ? new Date(r.storage_delivered_at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : t.none)
                  : t.recordingAtTwilio}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>{t.transcript}</h2>
      <Transcript ctx={ctx} transcript={call.transcript} />
      <h2>{t.deleteCall}</h2>
      {canDelete ? (
        <form method="post" action={`/app/orgs/${ctx.orgId}/calls/${call.id}/delete`} class="stack">
          <CsrfField ctx={ctx} />
          <p>{t.deleteExplained}</p>
          <button type="submit" class="danger">
            {t.deleteCall}
          </button>
        </form>
      ) : (
        <p class="notice">{t.memberCannotDelete}</p>
      )}
    </Layout>
  );
}
