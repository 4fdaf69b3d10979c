import type { InvitationRow } from '../orgs/memberships-repo.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import { ACCOUNT_MESSAGES } from './account-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

export const INVITATIONS_PAGE = '/app/invitations';

function roleName(role: OrgRole, t: PageContext['t']): string {
  return role === 'owner' ? t.roleOwner : role === 'admin' ? t.roleAdmin : t.roleMember;
}

function day(d: Date | string): string {
  return new Date(d).toISOString().slice(0, 10);
}

/** An answer button: its visible word, completed for screen readers with the organisation's name. */
function AnswerButton({ word, org, danger, m }: { word: string; org: string; danger?: boolean; m: (typeof ACCOUNT_MESSAGES)['en'] }) {
  return (
    <button type="submit" class={danger ? 'danger' : undefined}>
      {word}
      <span class="visually-hidden"> {m.theInvitationTo.replace('{org}', org)}</span>
    </button>
  );
}

/**
 * The signed-in person's own invitations: organisation, role and when, each
 * with Accept and Decline. Until accepted an invitation grants nothing.
 */
export function InvitationsPage({
  ctx,
  invitations,
  accepted,
  declined,
}: {
  ctx: PageContext;
  invitations: InvitationRow[];
  /** the organisation just joined (its id and name), for the confirmation */
  accepted?: { id: string; name: string };
  declined?: boolean;
}) {
  const { t } = ctx;
  const m = ACCOUNT_MESSAGES[ctx.lang];
  return (
    <Layout ctx={ctx} title={m.invitationsTitle}>
      {accepted && (
        <p class="notice" role="status">
          {m.accepted.replace('{org}', accepted.name)} <a href={`/app/orgs/${accepted.id}/calls`}>{m.openOrg.replace('{org}', accepted.name)}</a>
        </p>
      )}
      {declined && (
        <p class="notice" role="status">
          {m.declined}
        </p>
      )}
      <p>{m.invitationsIntro}</p>
      {invitations.length === 0 ? (
        <p>{m.noInvitations}</p>
      ) : (
        <TableWrap label={m.invitationsTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{m.invitationOrg}</th>
                <th scope="col">{m.invitationRole}</th>
                <th scope="col">{m.invitationSent}</th>
                <th scope="col">{m.invitationAnswer}</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((i) => (
                <tr>
                  <td>{i.org_name}</td>
                  <td>{roleName(i.role, t)}</td>
                  <td>{day(i.invited_at)}</td>
                  <td>
                    <div class="invitation-answers">
                      <form method="post" action={`${INVITATIONS_PAGE}/${i.org_id}/accept`} class="inline-form">
                        <CsrfField ctx={ctx} />
                        <AnswerButton word={m.accept} org={i.org_name} m={m} />
                      </form>
                      <form method="post" action={`${INVITATIONS_PAGE}/${i.org_id}/decline`} class="inline-form">
                        <CsrfField ctx={ctx} />
                        <AnswerButton word={m.decline} org={i.org_name} danger m={m} />
                      </form>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <p>
        <a href="/app">{m.yourOrgs}</a>
      </p>
    </Layout>
  );
}

/** On /app: how many invitations wait for an answer, and where to answer them. */
export function InvitationsWaiting({ ctx, count }: { ctx: PageContext; count: number }) {
  if (count === 0) return null;
  const m = ACCOUNT_MESSAGES[ctx.lang];
  return (
    <p class="notice" role="status">
      {m.invitationsWaiting.replace('{n}', String(count))} <a href={INVITATIONS_PAGE}>{m.seeInvitations}</a>
    </p>
  );
}
