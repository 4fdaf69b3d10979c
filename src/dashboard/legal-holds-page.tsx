import type { LegalHold } from '../legal-holds/legal-holds-service.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';
import { LEGAL_HOLDS_MESSAGES } from './legal-holds-messages.js';

/** What was typed into the form, kept when it is sent back with an error. */
export interface HoldFormValues {
  kind: 'phone' | 'email';
  value: string;
  reason: string;
  until: string;
}

function day(d: Date | string | null): string {
  return d ? new Date(d).toISOString().slice(0, 10) : '–';
}

/**
 * The organisation's legal holds (Art. 17(3)): owners and admins place one on
 * a caller by number or address, with a reason and an optional end, see every
 * hold (the person masked) and end one. Members may not see them (the API
 * refuses them), so they get the reason instead.
 */
export function LegalHoldsPage({
  ctx,
  orgName,
  holds,
  canManage,
  values,
  placed,
  ended,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  holds: LegalHold[];
  canManage: boolean;
  values?: HoldFormValues | undefined;
  placed?: boolean;
  ended?: boolean;
  error?: string | undefined;
}) {
  const m = LEGAL_HOLDS_MESSAGES[ctx.lang];
  const kind = values?.kind ?? 'phone';
  return (
    <Layout ctx={ctx} title={`${m.title}: ${orgName}`}>
      <p>{m.intro}</p>
      <p class="hint">{m.controller}</p>
      {!canManage ? (
        <p class="notice">{m.readOnly}</p>
      ) : (
        <>
          {placed && (
            <p class="notice" role="status">
              {m.placed}
            </p>
          )}
          {ended && (
            <p class="notice" role="status">
              {m.ended}
            </p>
          )}
          {error && (
            <p class="notice" role="alert" id="hold-error">
              {error}
            </p>
          )}
          <section aria-labelledby="place-hold">
            <h2 id="place-hold">{m.placeTitle}</h2>
            <form method="post" action={`/app/orgs/${ctx.orgId}/legal-holds`} class="stack" aria-describedby={error ? 'hold-error' : undefined}>
              <CsrfField ctx={ctx} />
              <fieldset>
                <legend>{m.kind}</legend>
                <div class="check">
                  <input id="hold-kind-phone" name="kind" type="radio" value="phone" checked={kind === 'phone'} />
                  <label for="hold-kind-phone">{m.kindPhone}</label>
                </div>
                <div class="check">
                  <input id="hold-kind-email" name="kind" type="radio" value="email" checked={kind === 'email'} />
                  <label for="hold-kind-email">{m.kindEmail}</label>
                </div>
              </fieldset>
              <label for="hold-value">{m.value}</label>
              <input id="hold-value" name="value" type="text" required maxLength={254} value={values?.value ?? ''} aria-describedby="hold-value-hint" autocomplete="off" />
              <p id="hold-value-hint" class="hint">
                {m.valueHint}
              </p>
              <label for="hold-reason">{m.reason}</label>
              <textarea id="hold-reason" name="reason" required minLength={5} maxLength={2000}>
                {values?.reason ?? ''}
              </textarea>
              <label for="hold-until">{m.until}</label>
              <input id="hold-until" name="until" type="date" value={values?.until ?? ''} />
              <button type="submit">{m.place}</button>
            </form>
          </section>
          {holds.length === 0 ? (
            <p>{m.none}</p>
          ) : (
            <TableWrap label={m.title}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{m.subject}</th>
                    <th scope="col">{m.reason.split(' (')[0]}</th>
                    <th scope="col">{m.placedAt}</th>
                    <th scope="col">{m.untilCol}</th>
                    <th scope="col">{m.status}</th>
                  </tr>
                </thead>
                <tbody>
                  {holds.map((h) => (
                    <tr>
                      <td>{h.subject ?? '–'}</td>
                      <td>{h.reason}</td>
                      <td>{day(h.placed_at)}</td>
                      <td>{h.until ? day(h.until) : m.indefinite}</td>
                      <td>
                        {h.active ? (
                          <form method="post" action={`/app/orgs/${ctx.orgId}/legal-holds/${h.id}/end`} class="inline-form">
                            <CsrfField ctx={ctx} />
                            <span>{m.active} </span>
                            <button type="submit">{m.end}</button>
                          </form>
                        ) : (
                          m.endedOn.replace('{date}', day(h.ended_at ?? h.until))
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      )}
    </Layout>
  );
}
