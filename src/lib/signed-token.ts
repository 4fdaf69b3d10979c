import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import { safeEqual } from './crypto.js';

const B64URL = /^[A-Za-z0-9_-]+$/;

export type TokenCheck<T> = { ok: true; payload: T } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * A token for the platform's e-mailed links: `<version>.<payload>.<signature>`,
 * both parts base64url. The payload is JSON with `exp` (Unix seconds). The
 * signature is HMAC-SHA256 over a purpose label, the version and the payload,
 * so a token signed for one purpose never passes for another under the same
 * key. A payload is parsed only once its signature has been verified
 * (constant-time), then checked against its schema and its expiry.
 *
 * Hand-written rather than a JWT (jose): the links carry a few fields, the
 * purpose is bound into the MAC, and the short form keeps the links short.
 */
export function signedTokens<S extends z.ZodType<{ exp: number }>>(opts: { version: string; purpose: string; payload: S }) {
  const { version, purpose, payload: schema } = opts;
  const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`${purpose}.${version}.${payload}`).digest('base64url');
  return {
    sign(secret: string, payload: z.infer<S>): string {
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${version}.${encoded}.${mac(secret, encoded)}`;
    },
    verify(secret: string, token: string, nowSeconds: number): TokenCheck<z.infer<S>> {
      const parts = token.split('.');
      if (parts.length !== 3) return { ok: false, reason: 'invalid' };
      const [v, encoded, signature] = parts as [string, string, string];
      if (v !== version || !B64URL.test(encoded) || !B64URL.test(signature)) return { ok: false, reason: 'invalid' };
      if (!safeEqual(mac(secret, encoded), signature)) return { ok: false, reason: 'invalid' };
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return { ok: false, reason: 'invalid' };
      if (parsed.data.exp <= nowSeconds) return { ok: false, reason: 'expired' };
      return { ok: true, payload: parsed.data };
    },
  };
}
