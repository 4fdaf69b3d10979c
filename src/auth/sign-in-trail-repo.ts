/**
 * SQL for the sign-in trail: app.sign_in_sessions (the keyed hashes of the
 * sessions already audited) and the organisations a person belongs to. The
 * backend's service connection only.
 */
import type { ServiceDb, Tx } from '../db/database.js';

type Db = ServiceDb | Tx;

/** Records a session's hash; a row comes back only to the one transaction that inserted it. */
export function insertSession(db: Db, sessionHash: Buffer, at: Date) {
  return db<{ session_hash: Buffer }[]>`
    insert into app.sign_in_sessions (session_hash, first_seen_at) values (${sessionHash}, ${at})
    on conflict (session_hash) do nothing
    returning session_hash`;
}

/** Forgets sessions first seen before `before`. */
export function deleteSessionsSeenBefore(db: Db, before: Date) {
  return db`delete from app.sign_in_sessions where first_seen_at < ${before}`;
}

/** Whether a session's hash is recorded. */
export function sessionRecorded(db: Db, sessionHash: Buffer) {
  return db<{ found: boolean }[]>`
    select exists (select 1 from app.sign_in_sessions where session_hash = ${sessionHash}) as found`;
}

/** The organisations whose membership the person has accepted. */
export function acceptedOrgIds(db: Db, userId: string) {
  return db<{ org_id: string }[]>`
    select m.org_id from public.memberships m
     join public.organizations o on o.id = m.org_id
    where m.user_id = ${userId} and m.accepted_at is not null
    order by m.org_id`;
}
