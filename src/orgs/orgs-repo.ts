import type { ServiceDb, Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';

export type OrgRole = 'owner' | 'admin' | 'member';

export interface OrgRow {
  id: string;
  name: string;
  /** ISO 3166 alpha-2, or null */
  country: string | null;
  /** the organisation's first phone number (E.164), whose country stands in for an unset `country` */
  first_number: string | null;
  created_at: Date;
}

export interface MemberRow {
  user_id: string;
  email: string | null;
  role: OrgRole;
  invited_at: Date | null;
  accepted_at: Date | null;
  created_at: Date;
}

/** The signed-in user's role in an organisation (RLS: only their own organisations are visible). */
export async function findMyRole(tx: Tx, orgId: string): Promise<OrgRole | undefined> {
  const [row] = await tx<{ role: OrgRole }[]>`
    select role from public.memberships where org_id = ${orgId} and user_id = auth.uid()`;
  return row?.role;
}

export async function createOrganization(tx: Tx, name: string): Promise<string> {
  const [row] = await tx<{ id: string }[]>`select app.create_organization(${name}) as id`;
  return row!.id;
}

/** The organisation of this name that this user created (the demo seed finds its own again). */
export function findOrganizationByNameAndCreator(tx: Tx, name: string, createdBy: string) {
  return tx<{ id: string }[]>`
      select id from public.organizations where name = ${name} and created_by = ${createdBy}`;
}

/**
 * Creates an organisation row directly, on the service handle (the demo seed).
 * Users create theirs through app.create_organization, which also makes them its owner.
 */
export function insertOrganization(tx: Tx, name: string, createdBy: string) {
  return tx<{ id: string }[]>`
        insert into public.organizations (name, created_by) values (${name}, ${createdBy}) returning id`;
}

/** The organisation's first phone number: the oldest (ties by number). */
function firstNumberOf(tx: Tx) {
  return tx`select p.e164 from public.phone_numbers p where p.org_id = o.id order by p.created_at, p.e164 limit 1`;
}

export async function findOrganization(tx: Tx, orgId: string): Promise<OrgRow | undefined> {
  const [row] = await tx<OrgRow[]>`
    select o.id, o.name, o.country, (${firstNumberOf(tx)}) as first_number, o.created_at
    from public.organizations o where o.id = ${orgId}`;
  return row;
}

export async function listMyOrganizations(tx: Tx): Promise<(OrgRow & { role: OrgRole })[]> {
  return tx<(OrgRow & { role: OrgRole })[]>`
    select o.id, o.name, o.country, (${firstNumberOf(tx)}) as first_number, o.created_at, m.role
    from public.organizations o join public.memberships m on m.org_id = o.id and m.user_id = auth.uid()
    order by o.created_at`;
}

/** Changes the name and/or country (undefined: unchanged; country null: unset). */
export async function updateOrganization(tx: Tx, orgId: string, change: { name?: string; country?: string | null }): Promise<number> {
  const set: Record<string, string | null> = {};
  if (change.name !== undefined) set.name = change.name;
  if (change.country !== undefined) set.country = change.country;
  if (Object.keys(set).length === 0) return 0;
  const result = await tx`update public.organizations set ${tx(set)} where id = ${orgId}`;
  return result.count;
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

/** Locks the organisation's owner rows, so two concurrent demotions cannot both pass the last-owner check. */
export async function lockOwners(tx: Tx, orgId: string): Promise<string[]> {
  const rows = await tx<{ user_id: string }[]>`
    select user_id from public.memberships where org_id = ${orgId} and role = 'owner' for update`;
  return rows.map((r) => r.user_id);
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

/** Whether the user is a member of the organisation (service handle: an operator asks). */
export function findMembership(db: Tx | ServiceDb, orgId: string, userId: string) {
  return db`
          select 1 from public.memberships where org_id = ${orgId} and user_id = ${userId}`;
}

/** Signing in accepts every invitation the user has. */
export function acceptPendingMemberships(db: Tx | ServiceDb, userId: string) {
  return db`update public.memberships set accepted_at = now() where user_id = ${userId} and accepted_at is null`;
}

/** How many organisations exist at all (service handle: local mode seeds the demo into an empty database). */
export function countOrganizations(db: ServiceDb) {
  return db`select count(*)::int as count from public.organizations`;
}

/** Deletes the organisation; its rows go with it (foreign keys on delete cascade). */
export function deleteOrganization(tx: Tx, orgId: string) {
  return tx`delete from public.organizations where id = ${orgId}`;
}

/** The organisation as an export names it (under RLS). */
export async function findOrganizationForExport(tx: Tx, orgId: string) {
  const [row] = await tx`select ${tx(['id', 'name', 'created_at', ...exportedColumns('organizations')])} from public.organizations where id = ${orgId}`;
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
