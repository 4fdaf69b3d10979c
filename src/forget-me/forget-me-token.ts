import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../lib/crypto.js';

/**
 * The confirmation link's token: `fm1.<payload>.<signature>`, both parts
 * base64url. The payload is JSON `{rid, sub, exp}`: the request's id,
 * the kind of subject (never the address itself) and the expiry in Unix
 * seconds, plus `typ: "access"` for an access request (absent: an erasure). The signature is HMAC-SHA256 under FORGET_ME_SECRET over a
 * purpose label, the version and the payload, so a token signed for another
 * purpose with the same key can never pass here.
 */
const VERSION = 'fm1';
const PURPOSE = 'forget-me-confirm';
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface LinkClaims {
  requestId: string;
  subjectType: 'email' | 'phone';
  /** What the link confirms: an erasure (the default, and every link signed before this field) or an access request. */
  requestType?: 'erasure' | 'access';
  /** Unix seconds */
  expiresAt: number;
}

const payloadSchema = z.strictObject({
  rid: z.string().uuid(),
  sub: z.enum(['email', 'phone']),
  exp: z.number().int().positive(),
  typ: z.enum(['access']).optional(),
});

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`${PURPOSE}.${VERSION}.${payload}`).digest('base64url');
}

/** Signs a confirmation token for a request. */
export function signLinkToken(secret: string, claims: LinkClaims): string {
  const body = { rid: claims.requestId, sub: claims.subjectType, exp: claims.expiresAt, ...(claims.requestType === 'access' ? { typ: 'access' } : {}) };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${VERSION}.${payload}.${sign(secret, payload)}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Checks a token's form and signature (constant-time), then its expiry. A
 * payload is only parsed once its signature has been verified.
 */
export function verifyLinkToken(secret: string, token: string, nowSeconds: number): LinkCheck {
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
  const claims: LinkClaims = { requestId: parsed.data.rid, subjectType: parsed.data.sub, requestType: parsed.data.typ ?? 'erasure', expiresAt: parsed.data.exp };
  if (claims.expiresAt <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
