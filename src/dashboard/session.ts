import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { SignInTrail } from '../auth/sign-in-trail.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { ensureOwnUserRow } from '../auth/users-repo.js';
import type { ServiceDb } from '../db/database.js';
import type { JwtClaims } from '../db/user-db.js';

export const SESSION_COOKIE = 'session';
export const CSRF_COOKIE = 'csrf';
export const CSRF_FIELD = '_csrf';

/** The cookies of a request (Express 5 parses none by itself; we read only our own few). */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) {
      try {
        out[name] = decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        // A value that is not valid percent-encoding is not one of ours.
      }
    }
  }
  return out;
}

export interface SessionOptions {
  /** Secure cookies: in production, where the dashboard is served over https only. */
  secure: boolean;
}

function cookieOptions(opts: SessionOptions, maxAgeMs?: number): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/', ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}) };
}

/**
 * Starts a session: the access token itself is the cookie, so the dashboard
 * checks it exactly as the API checks a bearer token, and it lives as long as
 * the token does. A new CSRF secret comes with it, so one planted before
 * sign-in is worth nothing after.
 */
export function startSession(res: Response, opts: SessionOptions, accessToken: string, expiresInSeconds: number): void {
  res.cookie(SESSION_COOKIE, accessToken, cookieOptions(opts, expiresInSeconds * 1000));
  res.cookie(CSRF_COOKIE, randomBytes(32).toString('base64url'), cookieOptions(opts));
}

export function endSession(res: Response, opts: SessionOptions): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(opts));
  res.clearCookie(CSRF_COOKIE, cookieOptions(opts));
}

/**
 * CSRF protection for the dashboard's forms: a signed double-submit token.
 * The browser holds a random secret in an HttpOnly, SameSite=Lax cookie; every
 * form carries HMAC(key, secret), which a page of another site cannot read or
 * compute. A POST must bring both and they must match (constant-time). This is
 * OWASP's "signed double-submit cookie"; we write it with node:crypto because
 * the packages for it need a cookie parser and session store of their own for
 * what is one HMAC here, and it covers the sign-in form before any session.
 * On top of it, a POST whose Origin is not our own is refused outright.
 */
export function createCsrf(key: Buffer, publicBaseUrl: string, opts: SessionOptions) {
  const hmacKey = createHmac('sha256', key).update('dashboard-csrf').digest();
  const ownOrigin = new URL(publicBaseUrl).origin;
  const tokenFor = (secret: string) => createHmac('sha256', hmacKey).update(secret).digest('base64url');

  return {
    /** The token for this browser's forms, setting its secret first when it has none. */
    token(req: Request, res: Response): string {
      let secret = readCookies(req)[CSRF_COOKIE];
      if (!secret || secret.length < 32) {
        secret = randomBytes(32).toString('base64url');
        res.cookie(CSRF_COOKIE, secret, cookieOptions(opts));
        // Later reads in this request see the same secret.
        req.headers.cookie = `${req.get('cookie') ? `${req.get('cookie')}; ` : ''}${CSRF_COOKIE}=${secret}`;
      }
      return tokenFor(secret);
    },

    /** Why a POST is refused, or null when it may go on. */
    refusal(req: Request): 'foreign_origin' | 'csrf_missing' | null {
      const origin = req.get('origin');
      if (origin !== undefined && origin !== ownOrigin) return 'foreign_origin';
      // A page of a sibling host ("same-site") is another site too; "none" is the person's own navigation.
      const site = req.get('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'foreign_origin';
      const secret = readCookies(req)[CSRF_COOKIE];
      const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      if (!secret || typeof sent !== 'string') return 'csrf_missing';
      const expected = Buffer.from(tokenFor(secret));
      const given = Buffer.from(sent);
      return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'csrf_missing';
    },
  };
}
export type Csrf = ReturnType<typeof createCsrf>;

export interface SessionDeps {
  tokenVerifier: TokenVerifier;
  serviceDb: ServiceDb;
  blindIndexKey: Buffer;
  /** With Supabase Auth: audits each new session (its first request) as a sign-in. */
  signInTrail?: SignInTrail;
}

/**
 * Requires a signed-in person: the session cookie must hold an access token
 * the API's own verifier accepts. Without one (none, expired, altered) the
 * browser is sent to sign-in, never shown an error.
 */
export function requireSession(deps: SessionDeps, signInPath: string): RequestHandler {
  const knownUsers = new Set<string>();
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = readCookies(req)[SESSION_COOKIE];
    let verified;
    try {
      if (!token) throw new Error('no session');
      verified = await deps.tokenVerifier.verify(token);
    } catch {
      res.redirect(303, signInPath);
      return;
    }
    if (!knownUsers.has(verified.sub)) {
      await ensureOwnUserRow(deps.serviceDb, deps.blindIndexKey, verified.sub, verified.email);
      if (knownUsers.size > 50_000) knownUsers.clear();
      knownUsers.add(verified.sub);
    }
    await deps.signInTrail?.sessionSeen(verified.sub, verified.payload);
    const claims: JwtClaims = { sub: verified.sub, role: 'authenticated', email: verified.email };
    const auth: AuthContext = {
      userId: verified.sub,
      email: verified.email,
      isOperator: verified.isOperator,
      claims,
      actor: { type: 'user', id: verified.sub },
    };
    req.auth = auth;
    next();
  };
}
