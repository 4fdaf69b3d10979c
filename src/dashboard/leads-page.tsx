import type { LeadRow } from '../calls/leads-repo.js';
import type { LeadListItem } from '../calls/leads-service.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';
import { LEADS_MESSAGES } from './leads-messages.js';

function when(d: Date | string): string {
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/**
 * The organisation's leads, newest first: when each was taken down, the name
 * and the number shortened as in the calls list. Opening the page is audited
 * by the leads service; the page says so.
 */
export function LeadsPage({ ctx, orgName, leads, olderHref, isFirstPage }: { ctx: PageContext; orgName: string; leads: LeadListItem[]; olderHref?: string; isFirstPage: boolean }) {
  const { t } = ctx;
  const m = LEADS_MESSAGES[ctx.lang];
  const base = `/app/orgs/${ctx.orgId}/leads`;
  return (
    <Layout ctx={ctx} title={`${m.leadsTitle}: ${orgName}`}>
      <p>{m.leadsIntro}</p>
      <p class="hint">{m.leadsAudited}</p>
      {leads.length === 0 ? (
        <p>{m.noLeads}</p>
      ) : (
        <TableWrap label={m.leadsTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{m.created}</th>
                <th scope="col">{m.name}</th>
                <th scope="col">{m.phone}</th>
                <th scope="col">{m.call}</th>
              </tr>
            </thead>
            <tbody>
              {leads.map((l) => (
                <tr>
                  <td>
                    <a href={`${base}/${l.id}`}>{when(l.created_at)}</a>
                  </td>
                  <td>{l.name ?? (l.anonymised_at ? m.anonymised : m.unnamed)}</td>
                  <td>{l.phone ?? t.none}</td>
                  <td>{l.call_id ? <a href={`/app/orgs/${ctx.orgId}/calls/${l.call_id}`}>{m.openCall}</a> : t.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {(olderHref || !isFirstPage) && (
        <ul class="pager">
          {!isFirstPage && (
            <li>
              <a href={base}>{m.newest}</a>
            </li>
          )}
          {olderHref && (
            <li>
              <a href={olderHref}>{m.older}</a>
            </li>
          )}
        </ul>
      )}
    </Layout>
  );
}

/** What was typed into the correction form, kept when it comes back with an error. */
export interface LeadFormValues {
  name: string;
  phone: string;
  email: string;
  notes: string;
}

/** Owners' and admins' form to correct a lead (Art. 16); every field is sent, an empty one clears it. */
function EditLeadForm({ ctx, lead, values, error }: { ctx: PageContext; lead: LeadRow; values?: LeadFormValues | undefined; error?: string | undefined }) {
  const m = LEADS_MESSAGES[ctx.lang];
  const v = values ?? { name: lead.name ?? '', phone: lead.phone ?? '', email: lead.email ?? '', notes: lead.notes ?? '' };
  return (
    <section aria-labelledby="edit-lead">
      <h2 id="edit-lead">{m.editTitle}</h2>
      {error && (
        <p class="notice" role="alert" id="lead-error">
          {error}
        </p>
      )}
      <form method="post" action={`/app/orgs/${ctx.orgId}/leads/${lead.id}`} class="stack" aria-describedby={error ? 'lead-error edit-hint' : 'edit-hint'}>
        <CsrfField ctx={ctx} />
        <p id="edit-hint" class="hint">
          {m.editHint}
        </p>
        <label for="lead-name">{m.name}</label>
        <input id="lead-name" name="name" type="text" maxLength={200} value={v.name} autocomplete="off" />
        <label for="lead-phone">{m.phone}</label>
        <input id="lead-phone" name="phone" type="tel" maxLength={64} value={v.phone} autocomplete="off" />
        <label for="lead-email">{m.email}</label>
        <input id="lead-email" name="email" type="email" maxLength={254} value={v.email} autocomplete="off" />
        <label for="lead-notes">{m.notes}</label>
        <textarea id="lead-notes" name="notes" maxLength={5000}>
          {v.notes}
        </textarea>
        <button type="submit">{m.save}</button>
      </form>
    </section>
  );
}

/** One lead with everything the organisation holds on it, and a link to its call. Reading it is audited. */
export function LeadPage({
  ctx,
  lead,
  canEdit = false,
  saved = false,
  values,
  error,
}: {
  ctx: PageContext;
  lead: LeadRow;
  canEdit?: boolean;
  saved?: boolean;
  values?: LeadFormValues | undefined;
  error?: string | undefined;
}) {
  const { t } = ctx;
  const m = LEADS_MESSAGES[ctx.lang];
  return (
    <Layout ctx={ctx} title={m.leadTitle}>
      <p>
        <a href={`/app/orgs/${ctx.orgId}/leads`}>{m.backToLeads}</a>
      </p>
      {saved && (
        <p class="notice" role="status">
          {m.saved}
        </p>
      )}
      {lead.anonymised_at && <p class="notice">{m.anonymisedOn.replace('{date}', when(lead.anonymised_at))}</p>}
      <dl>
        <dt>{m.name}</dt>
        <dd>{lead.name ?? m.unnamed}</dd>
        <dt>{m.phone}</dt>
        <dd>{lead.phone ?? t.none}</dd>
        <dt>{m.email}</dt>
        <dd>{lead.email ?? t.none}</dd>
        <dt>{m.notes}</dt>
        <dd>{lead.notes ?? t.none}</dd>
        <dt>{m.created}</dt>
        <dd>{when(lead.created_at)}</dd>
        <dt>{m.updated}</dt>
        <dd>{when(lead.updated_at)}</dd>
        <dt>{m.call}</dt>
        <dd>{lead.call_id ? <a href={`/app/orgs/${ctx.orgId}/calls/${lead.call_id}`}>{m.openCall}</a> : m.noCall}</dd>
      </dl>
      {lead.anonymised_at ? null : canEdit ? <EditLeadForm ctx={ctx} lead={lead} values={values} error={error} /> : <p class="hint">{m.readOnly}</p>}
      <p class="hint">{m.leadsAudited}</p>
    </Layout>
  );
}
