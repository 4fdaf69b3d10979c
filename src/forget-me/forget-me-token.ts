import { z } from 'zod';
import { signedTokens } from '../lib/signed-token.js';

/**
 * The confirmation link's token: `fm1.<payload>.<signature>`, both parts
 * base64url. The payload is JSON `{rid, sub, exp}`: the request's id,
 * the kind of subject (never the address itself) and the expiry in Unix
 * seconds, plus `typ: "access"` for an access request (absent: an erasure). The signature is HMAC-SHA256 under FORGET_ME_SECRET over a
 * purpose label, the version and the payload, so a token signed for another
 * purpose with the same key can never pass here.
 */

export interface LinkClaims {
  requestId: string;
  subjectType: 'email' | 'phone';
  /** What the link confirms: an erasure (the default, and every link signed before this field) or an access request. */
  requestType?: 'erasure' | 'access';
  /** Unix seconds */
  expiresAt: number;
}

const tokens = signedTokens({
  version: 'fm1',
  purpose: 'forget-me-confirm',
  payload: z.strictObject({
    rid: z.string().uuid(),
    sub: z.enum(['email', 'phone']),
    exp: z.number().int().positive(),
    typ: z.enum(['access']).optional(),
  }),
});

/** Signs a confirmation token for a request. */
export function signLinkToken(secret: string, claims: LinkClaims): string {
  return tokens.sign(secret, { rid: claims.requestId, sub: claims.subjectType, exp: claims.expiresAt, ...(claims.requestType === 'access' ? { typ: 'access' as const } : {}) });
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Checks a token's form and signature (constant-time), then its expiry. A
 * payload is only parsed once its signature has been verified.
 */
export function verifyLinkToken(secret: string, token: string, nowSeconds: number): LinkCheck {
  const check = tokens.verify(secret, token, nowSeconds);
  if (!check.ok) return check;
  const p = check.payload;
  return { ok: true, claims: { requestId: p.rid, subjectType: p.sub, requestType: p.typ ?? 'erasure', expiresAt: p.exp } };
}
