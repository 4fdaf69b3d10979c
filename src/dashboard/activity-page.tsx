import type { ActivityEntry } from '../audit/activity.js';
import { ACTIVITY_MESSAGES, type ActivityMessages } from './activity-messages.js';
import { Layout, TableWrap, type PageContext } from './layout.js';

/** Ids are shown by their first eight characters: enough to tell entries apart, and never a name or an address. */
function shortId(id: string | null): string {
  return id ? id.slice(0, 8) : '–';
}

function actorName(e: ActivityEntry, m: ActivityMessages): string {
  const actor = (m.actors[e.actor_type] ?? `${e.actor_type} {id}`).replace('{id}', shortId(e.actor_id));
  return e.acting_as_id ? m.actingAs.replace('{actor}', actor).replace('{id}', shortId(e.acting_as_id)) : actor;
}

function targetName(e: ActivityEntry, m: ActivityMessages): string {
  if (!e.target_type) return '–';
  return (m.targets[e.target_type] ?? `${e.target_type} {id}`).replace('{id}', shortId(e.target_id)).trim();
}

/** A time as people read it, in UTC, with the machine-readable one beside it. */
function When({ at }: { at: Date | string }) {
  const iso = new Date(at).toISOString();
  return <time dateTime={iso}>{`${iso.replace('T', ' ').slice(0, 19)} UTC`}</time>;
}

/**
 * The organisation's activity log, newest first, a page at a time. Owners and
 * admins read it (the API's role check); members get the reason instead. Each
 * known action has a label; the stored code stays beside it.
 */
export function ActivityPage({
  ctx,
  orgName,
  canRead,
  entries,
  nextBefore,
  paged,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  canRead: boolean;
  entries: ActivityEntry[];
  /** The cursor of the next (older) page, null when there is none. */
  nextBefore: number | null;
  /** Whether this page is an older one (so a link back to the newest is useful). */
  paged: boolean;
  error?: string;
}) {
  const m = ACTIVITY_MESSAGES[ctx.lang];
  const here = `/app/orgs/${ctx.orgId}/activity`;
  const pager = (paged || nextBefore !== null) && (
    <nav aria-label={m.pagesLabel} class="pager">
      <ul>
        {paged && (
          <li>
            <a href={here}>{m.newest}</a>
          </li>
        )}
        {nextBefore !== null && (
          <li>
            <a href={`${here}?before=${nextBefore}`} rel="next">
              {m.older}
            </a>
          </li>
        )}
      </ul>
    </nav>
  );
  return (
    <Layout ctx={ctx} title={`${m.activityTitle}: ${orgName}`}>
      <p>{m.activityIntro}</p>
      {!canRead ? (
        <p class="notice">{m.memberCannotSeeActivity}</p>
      ) : error ? (
        <>
          <p class="notice" role="alert">
            {error}
          </p>
          <p>
            <a href={here}>{m.newest}</a>
          </p>
        </>
      ) : entries.length === 0 ? (
        <>
          <p>{paged ? m.noOlder : m.noActivity}</p>
          {pager}
        </>
      ) : (
        <>
          <TableWrap label={m.activityTable}>
            <table class="activity">
              <thead>
                <tr>
                  <th scope="col">{m.colNumber}</th>
                  <th scope="col">{m.colTime}</th>
                  <th scope="col">{m.colActor}</th>
                  <th scope="col">{m.colAction}</th>
                  <th scope="col">{m.colTarget}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr>
                    <td>{e.sequence}</td>
                    <td>
                      <When at={e.created_at} />
                    </td>
                    <td>{actorName(e, m)}</td>
                    <td>
                      {m.actions[e.action] ?? e.action}
                      {m.actions[e.action] && (
                        <>
                          {' '}
                          <code class="action-code">{e.action}</code>
                        </>
                      )}
                    </td>
                    <td>{targetName(e, m)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {nextBefore === null && paged && <p>{m.noOlder}</p>}
          {pager}
        </>
      )}
    </Layout>
  );
}
