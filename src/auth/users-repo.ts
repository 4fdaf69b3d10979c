import { randomUUID } from 'node:crypto';
import type { ServiceDb, Tx } from '../db/database.js';
import { keyedHash, normaliseEmail } from '../lib/crypto.js';

export interface UserRow {
  id: string;
  email: string | null;
}

/** Finds a user by e-mail through its blind index (service handle: the person may share no organisation with the caller). */
export async function findUserByEmail(serviceDb: ServiceDb | Tx, blindKey: Buffer, email: string): Promise<UserRow | undefined> {
  const [row] = await serviceDb<UserRow[]>`
    select id, email from public.users where email_hash = ${keyedHash(blindKey, 'email', email)}`;
  return row;
}

/** Finds the user with this e-mail, or creates one with the given (or a new) id. */
export async function findOrCreateUserByEmail(
  serviceDb: ServiceDb | Tx,
  blindKey: Buffer,
  email: string,
  id: string = randomUUID(),
): Promise<UserRow> {
  const normalised = normaliseEmail(email);
  const hash = keyedHash(blindKey, 'email', normalised);
  const [created] = await serviceDb<UserRow[]>`
    insert into public.users (id, email, email_hash) values (${id}, ${normalised}, ${hash})
    on conflict do nothing
    returning id, email`;
  if (created) return created;
  const existing = await findUserByEmail(serviceDb, blindKey, normalised);
  if (!existing) throw new Error('user row conflict without a matching e-mail');
  return existing;
}

/**
 * A verified user's first request creates their row, on the backend's own
 * connection, with the e-mail address of their verified token: users cannot
 * insert their own row (they could claim anybody's address, and with it the
 * invitations sent to it).
 */
export async function ensureOwnUserRow(serviceDb: ServiceDb | Tx, blindKey: Buffer, sub: string, email: string | undefined): Promise<void> {
  const normalised = email ? normaliseEmail(email) : null;
  await serviceDb`
    insert into public.users (id, email, email_hash, last_seen_at)
    values (${sub}, ${normalised}, ${normalised ? keyedHash(blindKey, 'email', normalised) : null}, now())
    on conflict do nothing`;
}
