import type { Tx } from '../db/database.js';
import { ForbiddenError, NotFoundError } from '../lib/errors.js';
import { findMyRole } from './memberships-repo.js';
import type { OrgRole } from './orgs-repo.js';

export const ADMIN_ROLES: readonly OrgRole[] = ['owner', 'admin'];

/**
 * The caller's role in the organisation. Non-members get 404 (the organisation
 * is not theirs to know about); members without one of `roles` get 403.
 */
export async function requireOrgRole(tx: Tx, orgId: string, roles?: readonly OrgRole[]): Promise<OrgRole> {
  const role = await findMyRole(tx, orgId);
  if (!role) throw new NotFoundError('Organisation not found.');
  if (roles && !roles.includes(role)) {
    throw new ForbiddenError(`This needs the ${roles.join(' or ')} role; you are ${role === 'admin' ? 'an' : 'a'} ${role}.`);
  }
  return role;
}
