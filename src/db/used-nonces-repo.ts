/**
 * SQL for app.used_nonces: one-time values (a webhook signature, a sign-in
 * link's id) claimed once, so a replay is refused. Each claim returns the
 * nonce when it was fresh, no row when it was already used.
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
