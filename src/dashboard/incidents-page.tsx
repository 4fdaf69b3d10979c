import type { OrgIncidentRow } from '../incidents/incident-notices-repo.js';
import { INCIDENTS_MESSAGES, type IncidentsMessages } from './incidents-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

function when(d: Date | string | null, m: IncidentsMessages): string {
  return d ? `${new Date(d).toISOString().replace('T', ' ').slice(0, 16)} UTC` : m.notYet;
}

function viaText(m: IncidentsMessages, via: string | null): string {
  return via === 'email_link' ? m.viaEmailLink : via === 'dashboard' ? m.viaDashboard : m.viaApi;
}

/**
 * /app/orgs/:orgId/incidents: the security incidents naming the organisation,
 * when the platform told it and whether it acknowledged. Owners and admins
 * get an Acknowledge button per open notice; members read.
 */
export function IncidentsPage({ ctx, orgName, incidents, canAcknowledge, acknowledged }: { ctx: PageContext; orgName: string; incidents: OrgIncidentRow[]; canAcknowledge: boolean; acknowledged?: boolean }) {
  const m = INCIDENTS_MESSAGES[ctx.lang];
  return (
    <Layout ctx={ctx} title={`${m.incidentsTitle}: ${orgName}`}>
      <p>{m.incidentsIntro}</p>
      <p class="hint">{m.contactHint}</p>
      {acknowledged && (
        <p class="notice" role="status">
          {m.acknowledgedNow}
        </p>
      )}
      {!canAcknowledge && incidents.some((i) => !i.acknowledged_at) && <p class="notice">{m.memberCannotAcknowledge}</p>}
      {incidents.length === 0 ? (
        <p>{m.noIncidents}</p>
      ) : (
        <>
          <TableWrap label={m.incidentsTable}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{m.incident}</th>
                  <th scope="col">{m.severity}</th>
                  <th scope="col">{m.detected}</th>
                  <th scope="col">{m.told}</th>
                  <th scope="col">{m.acknowledged}</th>
                </tr>
              </thead>
              <tbody>
                {incidents.map((i) => (
                  <tr>
                    <td>
                      <a href={`#incident-${i.id}`}>{i.title}</a>
                    </td>
                    <td>{i.severity}</td>
                    <td>{when(i.detected_at, m)}</td>
                    <td>{when(i.notified_at, m)}</td>
                    <td>{i.acknowledged_at ? m.acknowledgedAt.replace('{at}', when(i.acknowledged_at, m)).replace('{via}', viaText(m, i.acknowledged_via)) : m.notYet}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {incidents.map((i) => (
            <section id={`incident-${i.id}`} aria-labelledby={`incident-${i.id}-title`}>
              <h2 id={`incident-${i.id}-title`}>{i.title}</h2>
              <dl>
                <dt>{m.nature}</dt>
                <dd>{i.nature ?? m.unknown}</dd>
                <dt>{m.categories}</dt>
                <dd>{i.data_categories?.length ? i.data_categories.join(', ') : m.unknown}</dd>
                <dt>{m.consequences}</dt>
                <dd>{i.likely_consequences ?? m.unknown}</dd>
                <dt>{m.measures}</dt>
                <dd>{i.measures ?? m.unknown}</dd>
                <dt>{m.contactPoint}</dt>
                <dd>{i.contact_point ?? m.unknown}</dd>
                <dt>{m.acknowledged}</dt>
                <dd>{i.acknowledged_at ? m.acknowledgedAt.replace('{at}', when(i.acknowledged_at, m)).replace('{via}', viaText(m, i.acknowledged_via)) : m.notYet}</dd>
              </dl>
              {!i.acknowledged_at && canAcknowledge && (
                <form method="post" action={`/app/orgs/${ctx.orgId}/incidents/${i.id}/acknowledgement`}>
                  <CsrfField ctx={ctx} />
                  <button type="submit" aria-label={m.acknowledgeOf.replace('{title}', i.title)}>
                    {m.acknowledge}
                  </button>
                </form>
              )}
            </section>
          ))}
        </>
      )}
    </Layout>
  );
}
