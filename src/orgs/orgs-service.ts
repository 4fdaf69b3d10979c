import type { AuthContext } from '../auth/auth-middleware.js';
import type { Inviter } from '../auth/invitations.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { keyedHash } from '../lib/crypto.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from './org-access.js';
import { phoneCountryOf } from './org-country.js';
import * as repo from './orgs-repo.js';
import * as membershipsRepo from './memberships-repo.js';
import type { OrgRole, OrgRow } from './orgs-repo.js';

export interface OrgsServiceDeps {
  userDb: UserDb;
  serviceDb: ServiceDb;
  inviter: Inviter;
  blindIndexKey: Buffer;
}

/**
 * An organisation as the API shows it: `country` as set (or null), and
 * `phone_country`, the country national-format numbers are read in (its own, else
 * its first phone number's; null when neither).
 */
function present<T extends OrgRow>({ first_number: _first, ...org }: T) {
  return { ...org, phone_country: phoneCountryOf({ country: org.country, first_number: _first }) ?? null };
}

/** Whether removing or demoting this person leaves no owner who has accepted (`owners`: those who have). */
function isLastOwner(owners: string[], userId: string): boolean {
  return owners.includes(userId) && owners.length <= 1;
}

/** Organisations and their teams. Every query runs as the caller under RLS. */
export function createOrgsService(deps: OrgsServiceDeps) {
  const { userDb } = deps;

  return {
    /** Creates an organisation with the caller as its owner, default privacy preferences and, if given, its country. */
    async create(auth: AuthContext, name: string, country?: string | null) {
      // An impersonation is let into one organisation; a new one would be the user's, made by someone else.
      if (auth.impersonation) throw new ForbiddenError('While impersonating, no organisation can be created: end the impersonation first.');
      return userDb.run(auth.claims, async (tx) => {
        const id = await repo.createOrganization(tx, name);
        if (country) await repo.updateOrganization(tx, id, { country });
        await writeAudit(tx, auth.actor, {
          orgId: id,
          action: 'organization.created',
          targetType: 'organization',
          targetId: id,
          metadata: country ? { country } : undefined,
        });
        const org = await repo.findOrganization(tx, id);
        return { ...present(org!), role: 'owner' as OrgRole };
      });
    },

    /** The caller's organisations; while impersonating, only the one the impersonation is for. */
    async list(auth: AuthContext) {
      const orgs = await userDb.run(auth.claims, async (tx) => (await repo.listMyOrganizations(tx)).map(present));
      return auth.impersonation ? orgs.filter((o) => o.id === auth.impersonation!.orgId) : orgs;
    },

    async get(auth: AuthContext, orgId: string) {
      return userDb.run(auth.claims, async (tx) => {
        const role = await requireOrgRole(tx, orgId);
        const org = await repo.findOrganization(tx, orgId);
        if (!org) throw new NotFoundError('Organisation not found.');
        return { ...present(org), role };
      });
    },

    /** Renames the organisation and/or sets its country (owner, admin; `country: null` unsets it). Audited. */
    async update(auth: AuthContext, orgId: string, change: { name?: string; country?: string | null }) {
      return userDb.run(auth.claims, async (tx) => {
        const role = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const before = await repo.findOrganization(tx, orgId);
        if (!before) throw new NotFoundError('Organisation not found.');
        const changed: { name?: string; country?: string | null } = {};
        if (change.name !== undefined && change.name !== before.name) changed.name = change.name;
        if (change.country !== undefined && change.country !== before.country) changed.country = change.country;
        if (Object.keys(changed).length === 0) return { ...present(before), role };
        await repo.updateOrganization(tx, orgId, changed);
        // The name is the customer's free text: the audit row says that it changed, not to what.
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'organization.updated',
          targetType: 'organization',
          targetId: orgId,
          metadata: { changed: Object.keys(changed), ...('country' in changed ? { country: changed.country } : {}) },
        });
        return { ...present((await repo.findOrganization(tx, orgId))!), role };
      });
    },

    async listMembers(auth: AuthContext, orgId: string) {
      return userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return membershipsRepo.listMembers(tx, orgId);
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
        const [already] = await membershipsRepo.findMemberByEmailHash(tx, orgId, emailHash);
        if (already) throw new ConflictError('That person is already a member of this organisation.');
      });
      const { userId } = await deps.inviter.invite(deps.serviceDb, email);
      return userDb.run(auth.claims, async (tx) => {
        const existing = await membershipsRepo.findMember(tx, orgId, userId);
        if (existing) throw new ConflictError('That person is already a member of this organisation.');
        await membershipsRepo.insertMember(tx, orgId, userId, role);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.invited',
          targetType: 'user',
          targetId: userId,
          metadata: { role },
        });
        return (await membershipsRepo.findMember(tx, orgId, userId))!;
      });
    },

    /** Changes a member's role. Only owners touch owners; the last owner stays an owner. */
    async changeRole(auth: AuthContext, orgId: string, userId: string, role: OrgRole) {
      return userDb.run(auth.claims, async (tx) => {
        const myRole = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const owners = await membershipsRepo.lockOwners(tx, orgId);
        const member = await membershipsRepo.findMember(tx, orgId, userId);
        if (!member) throw new NotFoundError('That person is not a member of this organisation.');
        if ((member.role === 'owner' || role === 'owner') && myRole !== 'owner') {
          throw new ForbiddenError('Only an owner can make or change an owner.');
        }
        if (member.role === 'owner' && role !== 'owner' && isLastOwner(owners, userId)) {
          throw new ConflictError('This is the last owner: make someone else an owner first.');
        }
        if (member.role === role) return member;
        await membershipsRepo.updateMemberRole(tx, orgId, userId, role);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.role_changed',
          targetType: 'user',
          targetId: userId,
          metadata: { from: member.role, to: role },
        });
        return (await membershipsRepo.findMember(tx, orgId, userId))!;
      });
    },

    /** Removes a member. Only owners remove owners; the last owner cannot be removed. */
    async removeMember(auth: AuthContext, orgId: string, userId: string) {
      await userDb.run(auth.claims, async (tx) => {
        const myRole = await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const owners = await membershipsRepo.lockOwners(tx, orgId);
        const member = await membershipsRepo.findMember(tx, orgId, userId);
        if (!member) throw new NotFoundError('That person is not a member of this organisation.');
        if (member.role === 'owner' && myRole !== 'owner') throw new ForbiddenError('Only an owner can remove an owner.');
        if (member.role === 'owner' && isLastOwner(owners, userId)) {
          throw new ConflictError('This is the last owner: make someone else an owner first.');
        }
        await membershipsRepo.deleteMember(tx, orgId, userId);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'member.removed',
          targetType: 'user',
          targetId: userId,
          metadata: { role: member.role },
        });
      });
    },

    /** The caller's own invitations not yet answered: organisation, role, when. */
    async listInvitations(auth: AuthContext) {
      // An impersonating operator answers nothing for the person: they see none.
      if (auth.impersonation) return [];
      return userDb.run(auth.claims, (tx) => membershipsRepo.listMyInvitations(tx));
    },

    /** Accepts the caller's own invitation: from now on they are a member. Audited (ids only). */
    async acceptInvitation(auth: AuthContext, orgId: string) {
      if (auth.impersonation) throw new ForbiddenError('While impersonating, no invitation can be answered: the person answers it.');
      return userDb.run(auth.claims, async (tx) => {
        const role = await membershipsRepo.acceptMyInvitation(tx, orgId);
        if (!role) throw new NotFoundError('There is no invitation to this organisation waiting for you.');
        await writeAudit(tx, auth.actor, { orgId, action: 'member.accepted', targetType: 'user', targetId: auth.userId, metadata: { role } });
        return { org_id: orgId, role };
      });
    },

    /** Declines the caller's own invitation: the pending membership goes. Audited (ids only) before it goes. */
    async declineInvitation(auth: AuthContext, orgId: string) {
      if (auth.impersonation) throw new ForbiddenError('While impersonating, no invitation can be answered: the person answers it.');
      await userDb.run(auth.claims, async (tx) => {
        const invitation = await membershipsRepo.findMyInvitation(tx, orgId);
        if (!invitation) throw new NotFoundError('There is no invitation to this organisation waiting for you.');
        await writeAudit(tx, auth.actor, { orgId, action: 'member.declined', targetType: 'user', targetId: auth.userId, metadata: { role: invitation.role } });
        await membershipsRepo.declineMyInvitation(tx, orgId);
      });
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
