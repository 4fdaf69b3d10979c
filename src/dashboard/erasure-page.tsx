import { MAX_EXTENSION_MONTHS } from '../erasure/erasure-service.js';
import { ERASURE_MESSAGES, said } from './erasure-messages.js';
import { CsrfField, Layout, type PageContext } from './layout.js';

/** One provider deletion owed for a request, as the erasure service lists it. */
export interface ErasureReceipt {
  provider: string;
  resource_type: string;
  resource_id: string;
  status: string;
  done_at: Date | string | null;
}

/** A request as the erasure service lists it (the API's list). */
export interface ErasureRow {
  id: string;
  status: string;
  received_at: Date | string;
  due_at: Date | string | null;
  extended_until: Date | string | null;
  completed_at: Date | string | null;
  counts: Record<string, number> | null;
  receipts: ErasureReceipt[];
  /** the request log: which identity check it passed, and when (the deadline runs from then) */
  identity_check?: string | null;
  verified_at?: Date | string | null;
  /** what a legal hold kept in this organisation, and when it was erased after the hold */
  legal_holds?: { reason: string; held_until: Date | string | null; erased_at: Date | string | null }[];
}

/** What was typed into the form, kept when it is sent back with an error. */
export interface ErasureFormValues {
  kind: 'phone' | 'email';
  value: string;
}

/** Closed requests cannot be extended (the service refuses them too). */
const CLOSED = new Set(['completed', 'nothing_found', 'cancelled', 'held']);

function day(d: Date | string | null): string {
  if (!d) return '–';
  return new Date(d).toISOString().slice(0, 10);
}

function ExtendForm({ ctx, row }: { ctx: PageContext; row: ErasureRow }) {
  const { t } = ctx;
  const id = row.id;
  return (
    <form method="post" action={`/app/orgs/${ctx.orgId}/erasure-requests/${id}/extension`} class="stack">
      <CsrfField ctx={ctx} />
      <label for={`months-${id}`}>{t.extendMonths}</label>
      <select id={`months-${id}`} name="months">
        {Array.from({ length: MAX_EXTENSION_MONTHS }, (_, i) => i + 1).map((m) => (
          <option value={String(m)}>{m}</option>
        ))}
      </select>
      <label for={`reason-${id}`}>{t.extendReason}</label>
      <textarea id={`reason-${id}`} name="reason" required minLength={10} maxLength={2000} />
      <label for={`email-${id}`}>{t.extendEmail}</label>
      <input id={`email-${id}`} name="requester_email" type="email" maxLength={254} />
      <button type="submit">{t.extend}</button>
    </form>
  );
}

/**
 * The organisation's erasure requests. Owners and admins file one by phone number
 * or e-mail address and see every request with its deletions at the providers;
 * members may neither file nor list (the API refuses them both), so they get the
 * reason instead.
 */
export function ErasurePage({
  ctx,
  orgName,
  rows,
  canFile,
  values,
  filed,
  extended,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  rows: ErasureRow[];
  canFile: boolean;
  values?: ErasureFormValues;
  filed?: boolean;
  extended?: boolean;
  error?: string;
}) {
  const { t } = ctx;
  const e = ERASURE_MESSAGES[ctx.lang];
  const kind = values?.kind ?? 'phone';
  return (
    <Layout ctx={ctx} title={`${t.erasureTitle}: ${orgName}`}>
      <p>{t.erasureIntro}</p>
      {!canFile ? (
        <p class="notice">{t.memberCannotSeeErasure}</p>
      ) : (
        <>
          {filed && (
            <p class="notice" role="status">
              {t.erasureFiled}
            </p>
          )}
          {extended && (
            <p class="notice" role="status">
              {t.erasureExtended}
            </p>
          )}
          {error && (
            <p class="notice" role="alert" id="erasure-error">
              {error}
            </p>
          )}
          <form method="post" action={`/app/orgs/${ctx.orgId}/erasure-requests`} class="stack" aria-describedby={error ? 'erasure-error' : undefined}>
            <CsrfField ctx={ctx} />
            <fieldset>
              <legend>{t.subjectKind}</legend>
              <div class="check">
                <input id="kind-phone" name="kind" type="radio" value="phone" checked={kind === 'phone'} />
                <label for="kind-phone">{t.subjectPhone}</label>
              </div>
              <div class="check">
                <input id="kind-email" name="kind" type="radio" value="email" checked={kind === 'email'} />
                <label for="kind-email">{t.subjectEmail}</label>
              </div>
            </fieldset>
            <label for="subject">{t.subjectValue}</label>
            <input id="subject" name="value" type="text" required maxLength={254} value={values?.value ?? ''} aria-describedby="subject-hint" />
            <p id="subject-hint" class="hint">
              {t.subjectValueHint}
            </p>
            <button type="submit">{t.fileErasure}</button>
          </form>
          {rows.length === 0 ? (
            <p>{t.noErasureRequests}</p>
          ) : (
            rows.map((r) => (
              <section aria-labelledby={`req-${r.id}`}>
                <h2 id={`req-${r.id}`}>{day(r.received_at)}</h2>
                <dl>
                  <dt>{t.erasureStatus}</dt>
                  <dd>{said(e.status, r.status)}</dd>
                  <dt>{t.erasureReceived}</dt>
                  <dd>{day(r.received_at)}</dd>
                  <dt>{e.log.identity}</dt>
                  <dd>{r.identity_check ? said(e.check, r.identity_check) : '–'}</dd>
                  <dt>{e.log.verified}</dt>
                  <dd>{day(r.verified_at ?? null)}</dd>
                  <dt>{t.erasureDue}</dt>
                  <dd>
                    {day(r.extended_until ?? r.due_at)} <span class="hint">{e.log.deadlineNote}</span>
                  </dd>
                  <dt>{t.erasureCompleted}</dt>
                  <dd>{day(r.completed_at)}</dd>
                  <dt>{t.erasureCounts}</dt>
                  <dd>
                    {r.counts
                      ? Object.entries(r.counts)
                          .map(([k, v]) => `${said(e.counts, k)}: ${v}`)
                          .join(', ')
                      : '–'}
                  </dd>
                </dl>
                {r.legal_holds && r.legal_holds.length > 0 && (
                  <>
                    <h3>{e.log.holds}</h3>
                    <ul>
                      {r.legal_holds.map((h) => (
                        <li>
                          {e.log.heldBy.replace('{reason}', h.reason).replace('{until}', h.held_until ? day(h.held_until) : e.log.indefinite)}
                          {h.erased_at ? `. ${e.log.heldErased.replace('{date}', day(h.erased_at))}` : ''}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
                <h3>{t.erasureReceipts}</h3>
                {r.receipts.length === 0 ? (
                  <p>{t.noReceipts}</p>
                ) : (
                  <ul>
                    {r.receipts.map((x) => (
                      <li>
                        {x.provider}, {said(e.resource, x.resource_type)} {x.resource_id}: {said(e.receipt, x.status)}
                        {x.done_at ? ` (${day(x.done_at)})` : ''}
                      </li>
                    ))}
                  </ul>
                )}
                {!CLOSED.has(r.status) && (
                  <details>
                    <summary>{t.extendTitle}</summary>
                    <ExtendForm ctx={ctx} row={r} />
                  </details>
                )}
              </section>
            ))
          )}
        </>
      )}
    </Layout>
  );
}
