import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../lib/crypto.js';

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
const VERSION = 'ia1';
const PURPOSE = 'incident-acknowledgement';
const B64URL = /^[A-Za-z0-9_-]+$/;

/** How long an e-mailed link works: a week, as a page may sit unread over a weekend and a holiday. */
export const ACK_LINK_DAYS = 7;

export interface AckClaims {
  noticeId: string;
  /** Unix seconds */
  expiresAt: number;
}

const payloadSchema = z.strictObject({
  n: z.string().uuid(),
  exp: z.number().int().positive(),
  r: z.string().regex(B64URL).max(64),
});

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`${PURPOSE}.${VERSION}.${payload}`).digest('base64url');
}

/** Signs a new acknowledgement token for a notice. */
export function signAckToken(secret: string, claims: AckClaims): string {
  const payload = Buffer.from(JSON.stringify({ n: claims.noticeId, exp: claims.expiresAt, r: randomBytes(16).toString('base64url') })).toString('base64url');
  return `${VERSION}.${payload}.${sign(secret, payload)}`;
}

/** What is stored of a token: its SHA-256 (the token itself is a secret only its recipient holds). */
export function ackTokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export type AckCheck = { ok: true; claims: AckClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Checks a token's form and signature (constant-time), then its expiry; the payload is parsed only once signed. */
export function verifyAckToken(secret: string, token: string, nowSeconds: number): AckCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'invalid' };
  const [version, payload, signature] = parts as [string, string, string];
  if (version !== VERSION || !B64URL.test(payload) || !B64URL.test(signature)) return { ok: false, reason: 'invalid' };
  if (!safeEqual(sign(secret, payload), signature)) return { ok: false, reason: 'invalid' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  if (parsed.data.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { noticeId: parsed.data.n, expiresAt: parsed.data.exp } };
}
