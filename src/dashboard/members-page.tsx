import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, BadRequestError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { MemberRow } from '../orgs/memberships-repo.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';
import { languageOf, MESSAGES } from './messages.js';
import { readCookies } from './session.js';

const ROLES = ['owner', 'admin', 'member'] as const satisfies readonly OrgRole[];
const DONE = ['invited', 'changed', 'removed'] as const;
type Done = (typeof DONE)[number];

function roleName(role: OrgRole, t: PageContext['t']): string {
  return role === 'owner' ? t.roleOwner : role === 'admin' ? t.roleAdmin : t.roleMember;
}

function day(d: Date | string | null | undefined, t: PageContext['t']): string {
  return d ? new Date(d).toISOString().slice(0, 10) : t.none;
}

/** What the invite form held when an invitation was refused, so nothing typed is lost. */
export interface InviteDraft {
  email: string;
  role: OrgRole;
}

export interface MembersPageProps {
  ctx: PageContext;
  members: MemberRow[];
  myRole: OrgRole;
  /** The service's reason when an action was refused (last owner, not allowed). */
  refusal?: string;
  done?: Done;
  draft?: InviteDraft;
}

/**
 * The organisation's team. Owners and admins invite, change roles and remove;
 * the controls an admin may not use on owners are not offered, and the service
 * still decides (its message comes back on this page when it refuses).
 */
export function MembersPage({ ctx, members, myRole, refusal, done, draft }: MembersPageProps) {
  const { t } = ctx;
  const canManage = ADMIN_ROLES.includes(myRole);
  const grantable = myRole === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner');
  const base = `/app/orgs/${ctx.orgId}/members`;
  const doneText = done === 'invited' ? t.memberInvited : done === 'changed' ? t.memberChanged : done === 'removed' ? t.memberRemoved : undefined;
  return (
    <Layout ctx={ctx} title={t.membersTitle}>
      {refusal && (
        <p class="notice" role="alert">
          {refusal}
        </p>
      )}
      {!refusal && doneText && (
        <p class="notice" role="status">
          {doneText}
        </p>
      )}
      {!canManage && <p class="notice">{t.membersReadOnly}</p>}
      {canManage && myRole !== 'owner' && <p>{t.ownersOnlyOwners}</p>}
      <TableWrap label={t.membersTitle}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t.email}</th>
              <th scope="col">{t.role}</th>
              <th scope="col">{t.invitedAt}</th>
              <th scope="col">{t.acceptedAt}</th>
              {canManage && <th scope="col">{t.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const email = m.email ?? t.none;
              const mayTouch = canManage && (m.role !== 'owner' || myRole === 'owner');
              const selectId = `role-${m.user_id}`;
              return (
                <tr>
                  <td>{email}</td>
                  <td>{roleName(m.role, t)}</td>
                  <td>{day(m.invited_at, t)}</td>
                  <td>{m.accepted_at ? day(m.accepted_at, t) : t.notAccepted}</td>
                  {canManage && (
                    <td>
                      {mayTouch && (
                        <div class="stack">
                          <form method="post" action={`${base}/${m.user_id}/role`} class="inline-form">
                            <CsrfField ctx={ctx} />
                            <label for={selectId}>{`${t.roleOf} ${email}`}</label>
                            <select id={selectId} name="role">
                              {grantable.map((r) => (
                                <option value={r} selected={r === m.role}>
                                  {roleName(r, t)}
                                </option>
                              ))}
                            </select>
                            <button type="submit">{t.changeRole}</button>
                          </form>
                          <form method="post" action={`${base}/${m.user_id}/remove`} class="inline-form">
                            <CsrfField ctx={ctx} />
                            <button type="submit" class="danger" aria-label={`${t.removeMember}: ${email}`}>
                              {t.removeMember}
                            </button>
                          </form>
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
      {canManage && (
        <>
          <h2>{t.inviteTitle}</h2>
          <p>{t.inviteExplained}</p>
          <form method="post" action={base} class="stack">
            <CsrfField ctx={ctx} />
            <label for="invite-email">{t.email}</label>
            <input id="invite-email" name="email" type="email" autocomplete="off" required maxLength={254} value={draft?.email ?? ''} />
            <label for="invite-role">{t.role}</label>
            <select id="invite-role" name="role">
              {grantable.map((r) => (
                <option value={r} selected={r === (draft?.role ?? 'member')}>
                  {roleName(r, t)}
                </option>
              ))}
            </select>
            <button type="submit">{t.invite}</button>
          </form>
        </>
      )}
    </Layout>
  );
}

/** What the members router borrows from the dashboard: its one way to render and to build a signed-in page's context. */
export interface MembersPageKit {
  orgs: OrgsService;
  send(res: Response, page: VNode, status?: number): void;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
}

const uuid = z.string().uuid();
const inviteBody = z.object({ email: z.string().trim().email().max(254), role: z.enum(ROLES).default('member') });
const roleBody = z.object({ role: z.enum(ROLES) });
const doneQuery = z.enum(DONE).optional().catch(undefined);

/**
 * /app/orgs/:orgId/members: the team, over the API's own orgs service (same
 * RLS, same last-owner and who-may-grant-owner rules). Every action is a form
 * that answers 303 back to the list; a refusal renders the list again with the
 * service's reason and its status, keeping what was typed.
 */
export function membersRoutes(kit: MembersPageKit): Router {
  const router = Router();

  function idOf(value: unknown, what: string): string {
    const parsed = uuid.safeParse(value);
    if (!parsed.success) throw new NotFoundError(`${what} not found.`);
    return parsed.data;
  }

  async function render(req: Request, res: Response, orgId: string, extra: Pick<MembersPageProps, 'refusal' | 'done' | 'draft'> = {}, status = 200) {
    const auth = authOf(req);
    const org = await kit.orgs.get(auth, orgId);
    const members = await kit.orgs.listMembers(auth, orgId);
    const ctx = await kit.signedInContext(req, res, orgId);
    kit.send(res, <MembersPage ctx={ctx} members={members} myRole={org.role} {...extra} />, status);
  }

  /** Runs an action; on a refusal the person sees the list again with the reason, not a bare error page. */
  async function act(req: Request, res: Response, orgId: string, done: Done, action: () => Promise<unknown>, draft?: InviteDraft) {
    try {
      await action();
    } catch (err) {
      // A person who cannot see the organisation gets its 404 from render, as on every page.
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      await render(req, res, orgId, { refusal: err.message, draft }, err.status);
      return;
    }
    res.redirect(303, `/app/orgs/${orgId}/members?done=${done}`);
  }

  router.get('/orgs/:orgId/members', async (req, res) => {
    await render(req, res, idOf(req.params.orgId, 'Organisation'), { done: doneQuery.parse(req.query.done) });
  });

  router.post('/orgs/:orgId/members', async (req, res) => {
    const orgId = idOf(req.params.orgId, 'Organisation');
    const body = req.body as Record<string, unknown>;
    const draft: InviteDraft = {
      email: typeof body.email === 'string' ? body.email.slice(0, 254) : '',
      role: (ROLES as readonly unknown[]).includes(body.role) ? (body.role as OrgRole) : 'member',
    };
    await act(
      req,
      res,
      orgId,
      'invited',
      async () => {
        const parsed = inviteBody.safeParse(body);
        if (!parsed.success) throw new BadRequestError(MESSAGES[languageOf(req, readCookies(req))].notAnEmail);
        await kit.orgs.invite(authOf(req), orgId, parsed.data.email, parsed.data.role);
      },
      draft,
    );
  });

  router.post('/orgs/:orgId/members/:userId/role', async (req, res) => {
    const orgId = idOf(req.params.orgId, 'Organisation');
    const userId = idOf(req.params.userId, 'Member');
    await act(req, res, orgId, 'changed', async () => {
      const parsed = roleBody.safeParse(req.body);
      if (!parsed.success) throw new BadRequestError('Choose owner, admin or member.');
      await kit.orgs.changeRole(authOf(req), orgId, userId, parsed.data.role);
    });
  });

  router.post('/orgs/:orgId/members/:userId/remove', async (req, res) => {
    const orgId = idOf(req.params.orgId, 'Organisation');
    const userId = idOf(req.params.userId, 'Member');
    await act(req, res, orgId, 'removed', () => kit.orgs.removeMember(authOf(req), orgId, userId));
  });

  return router;
}
