/**
 * SQL for app.used_nonces: one-time values (a webhook signature, a sign-in
 * link's id, a forget-me confirmation link) claimed once, so a replay is
 * refused. Each claim returns the nonce when it was fresh, no row (or false)
 * when it was already used.
 */
import type { ServiceDb, Tx } from './database.js';

/** An ElevenLabs webhook signature, kept until it is too old to be accepted anyway. */
export function claimWebhookNonce(db: Tx | ServiceDb, replayKey: string, expiresAtSeconds: number) {
  return db`
          insert into app.used_nonces (kind, nonce, expires_at)
          values ('elevenlabs_webhook', ${replayKey}, to_timestamp(${expiresAtSeconds}))
          on conflict do nothing returning nonce`;
}

/** A magic sign-in link's id, kept until the link expires. */
export function claimMagicLinkNonce(db: Tx | ServiceDb, jti: string, expiresAtSeconds: number) {
  return db`
          insert into app.used_nonces (kind, nonce, expires_at)
          values ('magic_link', ${jti}, to_timestamp(${expiresAtSeconds}))
          on conflict do nothing returning nonce`;
}

/**
 * Records a forget-me confirmation link's single use (kept until the link
 * expires); false when it was used before. Inside a transaction, a concurrent
 * use of the same link waits for this one to commit (then it finds the link
 * used) or to roll back (then it may use it).
 */
export async function claimForgetMeLinkNonce(db: ServiceDb | Tx, requestId: string, expiresAt: Date): Promise<boolean> {
  const rows = await db`
    insert into app.used_nonces (kind, nonce, expires_at) values ('forget_me_link', ${requestId}, ${expiresAt})
    on conflict do nothing returning nonce`;
  return rows.length === 1;
}

/** Whether a forget-me confirmation link was used already (read only: for the confirmation page). */
export async function forgetMeLinkUsed(db: ServiceDb | Tx, requestId: string): Promise<boolean> {
  const rows = await db`select 1 from app.used_nonces where kind = 'forget_me_link' and nonce = ${requestId}`;
  return rows.length > 0;
}
