import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { signedTokens } from '../lib/signed-token.js';

/**
 * The token of an e-mailed incident acknowledgement link:
 * `ia1.<payload>.<signature>`, both parts base64url. The payload is JSON
 * `{n, exp}`: the notice (one organisation named by one incident) and the
 * expiry in Unix seconds, plus a random nonce so each e-mail's link differs.
 * The signature is HMAC-SHA256 under FORGET_ME_SECRET (the key of the
 * platform's public links) over a purpose label, the version and the payload,
 * so a forget-me token can never pass here, nor this one there. Only the
 * token's SHA-256 is stored (app.incident_ack_tokens), which makes it single-use.
 */

/** How long an e-mailed link works: a week, as a page may sit unread over a weekend and a holiday. */
export const ACK_LINK_DAYS = 7;

export interface AckClaims {
  noticeId: string;
  /** Unix seconds */
  expiresAt: number;
}

const tokens = signedTokens({
  version: 'ia1',
  purpose: 'incident-acknowledgement',
  payload: z.strictObject({
    n: z.string().uuid(),
    exp: z.number().int().positive(),
    r: z.string().regex(/^[A-Za-z0-9_-]+$/).max(64),
  }),
});

/** Signs a new acknowledgement token for a notice. */
export function signAckToken(secret: string, claims: AckClaims): string {
  return tokens.sign(secret, { n: claims.noticeId, exp: claims.expiresAt, r: randomBytes(16).toString('base64url') });
}

/** What is stored of a token: its SHA-256 (the token itself is a secret only its recipient holds). */
export function ackTokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export type AckCheck = { ok: true; claims: AckClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Checks a token's form and signature (constant-time), then its expiry; the payload is parsed only once signed. */
export function verifyAckToken(secret: string, token: string, nowSeconds: number): AckCheck {
  const check = tokens.verify(secret, token, nowSeconds);
  return check.ok ? { ok: true, claims: { noticeId: check.payload.n, expiresAt: check.payload.exp } } : check;
}
