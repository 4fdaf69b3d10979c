import type { ComponentChildren } from 'preact';
import { fill, utcDay, type AdminMessages } from './admin-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

/** A sub-processor as the service lists it for one organisation. */
export interface OrgSubprocessorRow {
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
  applies_to_organization: boolean;
  objection_open: boolean;
}

/** What an owner typed as an objection, kept when it is sent back with an error. */
export interface ObjectionValues {
  id: string;
  reason: string;
}

function Table({ m, label, rows, children }: { m: AdminMessages; label: string; rows: OrgSubprocessorRow[]; children: (r: OrgSubprocessorRow) => ComponentChildren }) {
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">{m.spName}</th>
            <th scope="col">{m.spPurpose}</th>
            <th scope="col">{m.spDataCategories}</th>
            <th scope="col">{m.spRegion}</th>
            <th scope="col">{m.spSafeguards}</th>
            <th scope="col">{m.colStatus}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <th scope="row">{r.name}</th>
              <td>
                {r.purpose}
                <br />
                <span class="hint">{r.role}</span>
              </td>
              <td>{r.data_categories.join(', ')}</td>
              <td>{r.region}</td>
              <td>{r.safeguards}</td>
              <td>{children(r)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/**
 * The organisation's sub-processors: those in use (and whether each applies to
 * it), and the announced ones with the date they take effect. Owners may object
 * to an announced one until then; admins and members are told why they cannot.
 */
export function OrgSubprocessorsPage({
  ctx,
  m,
  orgName,
  role,
  rows,
  now,
  values,
  objected,
  error,
}: {
  ctx: PageContext;
  m: AdminMessages;
  orgName: string;
  role: string;
  rows: OrgSubprocessorRow[];
  now: Date;
  values?: ObjectionValues;
  objected?: boolean;
  error?: string;
}) {
  const live = rows.filter((r) => r.status === 'live');
  const announced = rows.filter((r) => r.status === 'announced');
  const isOwner = role === 'owner';
  const open = (r: OrgSubprocessorRow) => !r.objection_open && r.effective_at !== null && new Date(r.effective_at).getTime() > now.getTime();
  return (
    <Layout ctx={ctx} title={`${m.orgSpTitle}: ${orgName}`}>
      <p>{m.orgSpIntro}</p>
      {objected && (
        <p class="notice" role="status">
          {m.objected}
        </p>
      )}
      {error && (
        <div class="notice" role="alert" id="objection-error">
          <p>
            <strong>{m.notObjected}</strong> {error}
          </p>
        </div>
      )}
      <h2>{m.inUse}</h2>
      {live.length === 0 ? (
        <p>{m.noneInUse}</p>
      ) : (
        <Table m={m} label={m.inUse} rows={live}>
          {(r) => (r.objection_open ? m.objectionOpen : r.applies_to_organization ? m.appliesYes : m.appliesNo)}
        </Table>
      )}
      <h2>{m.announcedHeading}</h2>
      {announced.length === 0 ? (
        <p>{m.noneAnnounced}</p>
      ) : (
        <>
          {!isOwner && <p class="notice">{fill(m.onlyOwnersObject, { role: role === 'admin' ? m.roleAdmin : m.roleMember })}</p>}
          <Table m={m} label={m.announcedHeading} rows={announced}>
            {(r) => (
              <>
                {fill(m.takesEffect, { date: utcDay(r.effective_at) })}
                {r.objection_open && (
                  <>
                    <br />
                    {m.objectionOpen}
                  </>
                )}
              </>
            )}
          </Table>
          {isOwner &&
            announced.filter(open).map((r) => (
              <form method="post" action={`/app/orgs/${ctx.orgId}/subprocessors/${r.id}/objection`} class="stack admin-form" aria-labelledby={`object-${r.id}`} aria-describedby={error && values?.id === r.id ? 'objection-error' : undefined}>
                <h3 id={`object-${r.id}`}>{`${m.objectButton}: ${r.name}`}</h3>
                <CsrfField ctx={ctx} />
                <label for={`reason-${r.id}`}>{m.objectReason}</label>
                <textarea id={`reason-${r.id}`} name="reason" required minLength={3} maxLength={2000} rows={3}>
                  {values?.id === r.id ? values.reason : ''}
                </textarea>
                <button type="submit">{m.objectButton}</button>
              </form>
            ))}
        </>
      )}
    </Layout>
  );
}
