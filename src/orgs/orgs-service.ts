import type { AuthContext } from '../auth/auth-middleware.js';
import type { Inviter } from '../auth/invitations.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { keyedHash } from '../lib/crypto.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from './org-access.js';
import * as repo from './orgs-repo.js';
import type { OrgRole } from './orgs-repo.js';

export interface OrgsServiceDeps {
  userDb: UserDb;
  serviceDb: ServiceDb;
  inviter: Inviter;
  blindIndexKey: Buffer;
}

/** Organisations and their teams. Every query runs as the caller under RLS. */
export function createOrgsService(deps: OrgsServiceDeps) {
  const { userDb } = deps;

  return {
    /** Creates an organisation with the caller as its owner and default privacy preferences. */
    async create(auth: AuthContext, name: string) {
      // An impersonation is let into one organisation; a new one would be the user's, made by someone else.
      if (auth.impersonation) throw new ForbiddenError('While impersonating, no organisation can be created: end the impersonation first.');
      return userDb.run(auth.claims, async (tx) => {
        const id = await repo.createOrganization(tx, name);
        await writeAudit(tx, auth.actor, { orgId: id, action: 'organization.created', targetType: 'organization', targetId: id });
        const org = await repo.findOrganization(tx, id);
        return { ...org!, role: 'owner' as OrgRole };
      });
    },

    /** The caller's organisations; while impersonating, only the one the impersonation is for. */
    async list(auth: AuthContext) {
      const orgs = await userDb.run(auth.claims, (tx) => repo.listMyOrganizations(tx));
      return auth.impersonation ? orgs.filter((o) => o.id === auth.impersonation!.orgId) : orgs;
    },

    async get(auth: AuthContext, orgId: string) {
      return userDb.run(auth.claims, async (tx) => {
        const role = await requireOrgRole(tx, orgId);
        const org = await repo.findOrganization(tx, orgId);
        if (!org) throw new NotFoundError('Organisation not found.');
        return { ...org, role };
      });
    },

    async listMembers(auth: AuthContext, orgId: string) {
      return userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return repo.listMembers(tx, orgId);
      });
    },

    /**
     * Invites someone by e-mail (owner/admin; only an owner can add an owner).
     * The account is made or found first (outside the caller's rights: the
     * person may be unknown to them), then the membership is written under RLS.
     */
    async invite(auth: AuthContext, orgId: string, email: string, role: OrgRole) {
      const emailHash = keyedHash(deps.blindIndexKey, 'email', email);
      await userDb.run(auth.claims, async (tx) => {
        const myRole = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        if (role === 'owner' && myRole !== 'owner') throw new ForbiddenError('Only an owner can add another owner.');
        const [already] = await tx`
          select 1 from public.memberships m join public.users u on u.id = m.user_id
          where m.org_id = ${orgId} and u.email_hash = ${emailHash}`;
        if (already) throw new ConflictError('That person is already a member of this organisation.');
      });
      const { userId } = await deps.inviter.invite(deps.serviceDb, email);
      return userDb.run(auth.claims, async (tx) => {
        const existing = await repo.findMember(tx, orgId, userId);
        if (existing) throw new ConflictError('That person is already a member of this organisation.');
        await repo.insertMember(tx, orgId, userId, role);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.invited',
          targetType: 'user',
          targetId: userId,
          metadata: { role },
        });
        return (await repo.findMember(tx, orgId, userId))!;
      });
    },

    /** Changes a member's role. Only owners touch owners; the last owner stays an owner. */
    async changeRole(auth: AuthContext, orgId: string, userId: string, role: OrgRole) {
      return userDb.run(auth.claims, async (tx) => {
        const myRole = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const owners = await repo.lockOwners(tx, orgId);
        const member = await repo.findMember(tx, orgId, userId);
        if (!member) throw new NotFoundError('That person is not a member of this organisation.');
        if ((member.role === 'owner' || role === 'owner') && myRole !== 'owner') {
          throw new ForbiddenError('Only an owner can make or change an owner.');
        }
        if (member.role === 'owner' && role !== 'owner' && owners.length <= 1) {
          throw new ConflictError('This is the last owner: make someone else an owner first.');
        }
        if (member.role === role) return member;
        await repo.updateMemberRole(tx, orgId, userId, role);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.role_changed',
          targetType: 'user',
          targetId: userId,
          metadata: { from: member.role, to: role },
        });
        return (await repo.findMember(tx, orgId, userId))!;
      });
    },

    /** Removes a member. Only owners remove owners; the last owner cannot be removed. */
    async removeMember(auth: AuthContext, orgId: string, userId: string) {
      await userDb.run(auth.claims, async (tx) => {
        const myRole = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const owners = await repo.lockOwners(tx, orgId);
        const member = await repo.findMember(tx, orgId, userId);
        if (!member) throw new NotFoundError('That person is not a member of this organisation.');
        if (member.role === 'owner' && myRole !== 'owner') throw new ForbiddenError('Only an owner can remove an owner.');
        if (member.role === 'owner' && owners.length <= 1) {
          throw new ConflictError('This is the last owner: make someone else an owner first.');
        }
        await repo.deleteMember(tx, orgId, userId);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.removed',
          targetType: 'user',
          targetId: userId,
          metadata: { role: member.role },
        });
      });
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
