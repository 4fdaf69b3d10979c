import { ErrorBox, type FormError } from './admin-incidents-page.js';
import { fill, utcDay, type AdminMessages } from './admin-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

/** The announcement form's fields (the fields POST /api/admin/subprocessors takes). */
export const SP_FIELDS = ['name', 'purpose', 'data_categories', 'region', 'role', 'safeguards', 'effective_at'] as const;
export type SubprocessorFormValues = Record<(typeof SP_FIELDS)[number], string>;

/** A sub-processor as the service lists it for operators. */
export interface AdminSubprocessorRow {
  id: string;
  name: string;
  purpose: string;
  data_categories: string[];
  region: string;
  role: string;
  safeguards: string;
  status: string;
  announced_at: Date | string | null;
  effective_at: Date | string | null;
  notices: Record<string, number>;
  objections: { org_id: string; objected_at: Date | string; reason: string | null; resolved_at: Date | string | null }[];
}

export function statusText(m: AdminMessages, status: string): string {
  return status === 'live' ? m.statusLive : status === 'announced' ? m.statusAnnounced : status === 'retired' ? m.statusRetired : status;
}

/** /app/admin/subprocessors: the list with notices and objections, and the announcement form. */
export function AdminSubprocessorsPage({
  ctx,
  m,
  rows,
  earliest,
  values,
  announced,
  error,
}: {
  ctx: PageContext;
  m: AdminMessages;
  rows: AdminSubprocessorRow[];
  /** The first day a sub-processor announced today may take effect on. */
  earliest: string;
  values?: SubprocessorFormValues;
  announced?: boolean;
  error?: FormError;
}) {
  const v: SubprocessorFormValues = values ?? { name: '', purpose: '', data_categories: '', region: '', role: '', safeguards: '', effective_at: earliest };
  return (
    <Layout ctx={ctx} title={m.spAdminTitle}>
      <p>{m.spAdminIntro}</p>
      {announced && (
        <p class="notice" role="status">
          {m.announced}
        </p>
      )}
      <h2>{m.spList}</h2>
      {rows.length === 0 ? (
        <p>{m.noSubprocessors}</p>
      ) : (
        <TableWrap label={m.spTable}>
          <table>
            <thead>
              <tr>
                <th scope="col">{m.spName}</th>
                <th scope="col">{m.spPurpose}</th>
                <th scope="col">{m.spRegion}</th>
                <th scope="col">{m.colStatus}</th>
                <th scope="col">{m.colAnnounced}</th>
                <th scope="col">{m.colEffective}</th>
                <th scope="col">{m.colNotices}</th>
                <th scope="col">{m.colObjections}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <th scope="row">{r.name}</th>
                  <td>
                    {r.purpose}
                    <br />
                    <span class="hint">{r.data_categories.join(', ')}</span>
                  </td>
                  <td>{r.region}</td>
                  <td>{statusText(m, r.status)}</td>
                  <td>{utcDay(r.announced_at)}</td>
                  <td>{utcDay(r.effective_at)}</td>
                  <td>{fill(m.noticesText, { sent: r.notices.sent ?? 0, waiting: (r.notices.pending ?? 0) + (r.notices.sending ?? 0), failed: r.notices.failed ?? 0 })}</td>
                  <td>
                    {r.objections.length === 0 ? (
                      m.noObjections
                    ) : (
                      <ul class="plain">
                        {r.objections.map((o) => (
                          <li>
                            {fill(m.objectionText, { org: o.org_id, date: utcDay(o.objected_at), reason: o.reason ?? m.none })}
                            {o.resolved_at ? ` (${fill(m.objectionResolved, { date: utcDay(o.resolved_at) })})` : ''}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2 id="announce">{m.announceTitle}</h2>
      <ErrorBox error={error} id="announce-error" />
      <form method="post" action="/app/admin/subprocessors" class="stack admin-form" aria-labelledby="announce" aria-describedby={error ? 'announce-error' : undefined}>
        <CsrfField ctx={ctx} />
        <label for="sp-name">{m.spName}</label>
        <input id="sp-name" name="name" type="text" required minLength={2} maxLength={200} value={v.name} />
        <label for="sp-purpose">{m.spPurpose}</label>
        <textarea id="sp-purpose" name="purpose" required minLength={3} maxLength={2000} rows={3}>
          {v.purpose}
        </textarea>
        <label for="sp-categories">{m.spDataCategories}</label>
        <textarea id="sp-categories" name="data_categories" required maxLength={10000} rows={2} aria-describedby="sp-categories-hint">
          {v.data_categories}
        </textarea>
        <p id="sp-categories-hint" class="hint">
          {m.listHint}
        </p>
        <label for="sp-region">{m.spRegion}</label>
        <input id="sp-region" name="region" type="text" required minLength={2} maxLength={200} value={v.region} />
        <label for="sp-role">{m.spRole}</label>
        <input id="sp-role" name="role" type="text" required minLength={3} maxLength={100} value={v.role} aria-describedby="sp-role-hint" />
        <p id="sp-role-hint" class="hint">
          {m.spRoleHint}
        </p>
        <label for="sp-safeguards">{m.spSafeguards}</label>
        <textarea id="sp-safeguards" name="safeguards" required minLength={3} maxLength={2000} rows={2} aria-describedby="sp-safeguards-hint">
          {v.safeguards}
        </textarea>
        <p id="sp-safeguards-hint" class="hint">
          {m.spSafeguardsHint}
        </p>
        <label for="sp-effective">{m.spEffectiveAt}</label>
        <input id="sp-effective" name="effective_at" type="date" required min={earliest} value={v.effective_at} aria-describedby="sp-effective-hint" />
        <p id="sp-effective-hint" class="hint">
          {m.spEffectiveAtHint}
        </p>
        <button type="submit">{m.announceButton}</button>
      </form>
    </Layout>
  );
}
