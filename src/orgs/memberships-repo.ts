/**
 * SQL for public.memberships: who belongs to which organisation, with which
 * role. Functions taking a `Tx` run inside a user's transaction, so row-level
 * security decides what they see and change.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';
import type { OrgRole } from './orgs-repo.js';

export interface MemberRow {
  user_id: string;
  email: string | null;
  role: OrgRole;
  invited_at: Date | null;
  accepted_at: Date | null;
  created_at: Date;
}

/**
 * The signed-in user's role in an organisation (RLS: only their own organisations
 * are visible); an invitation not yet accepted is no role.
 */
export async function findMyRole(tx: Tx, orgId: string): Promise<OrgRole | undefined> {
  const [row] = await tx<{ role: OrgRole }[]>`
    select role from public.memberships where org_id = ${orgId} and user_id = auth.uid() and accepted_at is not null`;
  return row?.role;
}

export async function listMembers(tx: Tx, orgId: string): Promise<MemberRow[]> {
  return tx<MemberRow[]>`
    select m.user_id, u.email, m.role, m.invited_at, m.accepted_at, m.created_at
    from public.memberships m join public.users u on u.id = m.user_id
    where m.org_id = ${orgId}
    order by m.created_at, m.user_id`;
}

export async function findMember(tx: Tx, orgId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await tx<MemberRow[]>`
    select m.user_id, u.email, m.role, m.invited_at, m.accepted_at, m.created_at
    from public.memberships m join public.users u on u.id = m.user_id
    where m.org_id = ${orgId} and m.user_id = ${userId}`;
  return row;
}

export async function insertMember(tx: Tx, orgId: string, userId: string, role: OrgRole): Promise<void> {
  await tx`
    insert into public.memberships (org_id, user_id, role, invited_by, invited_at)
    values (${orgId}, ${userId}, ${role}, auth.uid(), now())`;
}

/** Adds a member who needs no invitation (the demo seed); an existing membership stays as it is. */
export function insertAcceptedMembership(tx: Tx, orgId: string, userId: string, role: OrgRole) {
  return tx`
        insert into public.memberships (org_id, user_id, role, accepted_at)
        values (${orgId}, ${userId}, ${role}, now())
        on conflict (org_id, user_id) do nothing`;
}

/**
 * Locks the organisation's owner rows, so two concurrent demotions cannot both
 * pass the last-owner check; returns the owners who have accepted (an invited
 * owner who has not is not one yet).
 */
export async function lockOwners(tx: Tx, orgId: string): Promise<string[]> {
  const rows = await tx<{ user_id: string; accepted: boolean }[]>`
    select user_id, accepted_at is not null as accepted from public.memberships where org_id = ${orgId} and role = 'owner' for update`;
  return rows.filter((r) => r.accepted).map((r) => r.user_id);
}

export async function updateMemberRole(tx: Tx, orgId: string, userId: string, role: OrgRole): Promise<number> {
  const result = await tx`update public.memberships set role = ${role} where org_id = ${orgId} and user_id = ${userId}`;
  return result.count;
}

export async function deleteMember(tx: Tx, orgId: string, userId: string): Promise<number> {
  const result = await tx`delete from public.memberships where org_id = ${orgId} and user_id = ${userId}`;
  return result.count;
}

/** Whether someone with this e-mail blind index is already a member (under RLS). */
export function findMemberByEmailHash(tx: Tx, orgId: string, emailHash: Buffer) {
  return tx`
          select 1 from public.memberships m join public.users u on u.id = m.user_id
          where m.org_id = ${orgId} and u.email_hash = ${emailHash}`;
}

/** Whether the user has accepted a membership of the organisation (service handle: an operator asks). */
export function findMembership(db: Tx | ServiceDb, orgId: string, userId: string) {
  return db`
          select 1 from public.memberships where org_id = ${orgId} and user_id = ${userId} and accepted_at is not null`;
}

export interface InvitationRow {
  org_id: string;
  org_name: string;
  role: OrgRole;
  invited_at: Date;
}

/** The signed-in user's own invitations not yet answered, newest first (app.my_invitations: their rows only). */
export function listMyInvitations(tx: Tx) {
  return tx<InvitationRow[]>`select org_id, org_name, role, invited_at from app.my_invitations()`;
}

/** Accepts the signed-in user's own pending invitation; the role, or null when there is none. */
export async function acceptMyInvitation(tx: Tx, orgId: string): Promise<OrgRole | null> {
  const [row] = await tx<{ role: OrgRole | null }[]>`select app.accept_invitation(${orgId}) as role`;
  return row?.role ?? null;
}

/** Removes the signed-in user's own pending invitation; the role it had, or null when there is none. */
export async function declineMyInvitation(tx: Tx, orgId: string): Promise<OrgRole | null> {
  const [row] = await tx<{ role: OrgRole | null }[]>`select app.decline_invitation(${orgId}) as role`;
  return row?.role ?? null;
}

/** Whether the signed-in user has a pending invitation to the organisation (before declining it is audited). */
export async function findMyInvitation(tx: Tx, orgId: string): Promise<InvitationRow | undefined> {
  const [row] = await tx<InvitationRow[]>`select org_id, org_name, role, invited_at from app.my_invitations() where org_id = ${orgId}`;
  return row;
}

/**
 * The organisation's members for an export: the membership's and the user's
 * personal columns the map exports (the user's id is the membership's user_id).
 */
export function listMembersForExport(tx: Tx, orgId: string) {
  const columns = [
    ...exportedColumns('memberships').map((c) => `m.${c}`),
    ...exportedColumns('users').filter((c) => c !== 'id').map((c) => `u.${c}`),
    'm.role', 'm.created_at',
  ];
  return tx`
            select ${tx(columns)} from public.memberships m join public.users u on u.id = m.user_id where m.org_id = ${orgId}`;
}
