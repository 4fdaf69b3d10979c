import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { writeAudit, type AuditActor } from '../audit/audit.js';
import { findOpenImpersonation } from '../admin/impersonations-repo.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { JwtClaims, UserDb } from '../db/user-db.js';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.js';
import type { SignInTrail } from './sign-in-trail.js';
import type { TokenVerifier } from './tokens.js';
import { ensureOwnUserRow } from './users-repo.js';

/** Who a request runs as, after the token (and any impersonation) is checked. */
export interface AuthContext {
  /** The user whose rights apply (the impersonated user while impersonating). */
  userId: string;
  email?: string;
  isOperator: boolean;
  claims: JwtClaims;
  actor: AuditActor;
  impersonation?: { id: string; orgId: string; operatorId: string; expiresAt: Date };
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

export interface AuthDeps {
  tokenVerifier: TokenVerifier;
  serviceDb: ServiceDb;
  userDb: UserDb;
  blindIndexKey: Buffer;
  /** With Supabase Auth: audits each new session (its first request) as a sign-in. */
  signInTrail?: SignInTrail;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Requires a verified Supabase access token. A user's first request creates
 * their users row. An operator may send X-Impersonation-Id to act as a user
 * within an open, unexpired impersonation they started; every such request is
 * audited with both identities.
 */
export function requireAuth(deps: AuthDeps): RequestHandler {
  const knownUsers = new Set<string>();
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header) : null;
    if (!match) throw new UnauthorizedError();
    const token = await deps.tokenVerifier.verify(match[1]!);
    const claims: JwtClaims = { sub: token.sub, role: 'authenticated', email: token.email };

    if (!knownUsers.has(token.sub)) {
      await ensureOwnUserRow(deps.serviceDb, deps.blindIndexKey, token.sub, token.email);
      if (knownUsers.size > 50_000) knownUsers.clear();
      knownUsers.add(token.sub);
    }
    await deps.signInTrail?.sessionSeen(token.sub, token.payload);

    const impersonationId = req.get('x-impersonation-id');
    if (impersonationId === undefined) {
      req.auth = {
        userId: token.sub,
        email: token.email,
        isOperator: token.isOperator,
        claims,
        actor: { type: 'user', id: token.sub },
      };
      return next();
    }

    if (!token.isOperator) throw new ForbiddenError('Only platform operators can impersonate.');
    if (!UUID.test(impersonationId)) throw new UnauthorizedError('X-Impersonation-Id is not a valid id.');
    const [imp] = await findOpenImpersonation(deps.serviceDb, impersonationId, token.sub);
    if (!imp) throw new UnauthorizedError('That impersonation is not open: it has ended, expired or is not yours.');

    const actor: AuditActor = { type: 'operator', id: token.sub, actingAsId: imp.target_user_id };
    await writeAudit(deps.serviceDb, actor, {
      orgId: imp.org_id,
      action: 'impersonation.request',
      targetType: 'impersonation',
      targetId: imp.id,
      metadata: { method: req.method, path: req.originalUrl.split('?')[0] },
    });
    req.auth = {
      userId: imp.target_user_id,
      isOperator: false,
      claims: { sub: imp.target_user_id, role: 'authenticated', impersonator_id: token.sub },
      actor,
      impersonation: { id: imp.id, orgId: imp.org_id, operatorId: token.sub, expiresAt: imp.expires_at },
    };
    next();
  };
}

/** Requires a platform operator (app_metadata.platform_role = "operator"), never while impersonating. */
export const requireOperator: RequestHandler = (req, _res, next) => {
  if (!req.auth?.isOperator || req.auth.impersonation) throw new ForbiddenError('This is for platform operators only.');
  next();
};

/** The request's auth context; routes behind requireAuth always have one. */
export function authOf(req: Request): AuthContext {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
}

/** Runs fn in a transaction as the request's user, under RLS. */
export function asUser<T>(userDb: UserDb, req: Request, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return userDb.run(authOf(req).claims, fn);
}
