/**
 * SQL for public.organizations (their members: memberships-repo.ts). Functions
 * taking a `Tx` run inside a user's transaction, so row-level security decides
 * what they see and change.
 */
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
    from public.organizations o join public.memberships m on m.org_id = o.id and m.user_id = auth.uid() and m.accepted_at is not null
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
