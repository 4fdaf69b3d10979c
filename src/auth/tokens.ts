import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { AppConfig } from '../config/env.js';
import { UnauthorizedError } from '../lib/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A verified Supabase access token, reduced to what we use. */
export interface VerifiedToken {
  sub: string;
  email?: string;
  isOperator: boolean;
  payload: JWTPayload;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * Verifies Supabase access tokens: HS256 with SUPABASE_JWT_SECRET when set,
 * otherwise against the project's JWKS under SUPABASE_URL. The audience and
 * role must be `authenticated`, `sub` a uuid, and `exp` present (and not past).
 */
export function createTokenVerifier(config: Pick<AppConfig, 'supabase'>): TokenVerifier {
  const { jwtSecret, url } = config.supabase;
  let key: Parameters<typeof jwtVerify>[1];
  let algorithms: string[];
  if (jwtSecret) {
    key = new TextEncoder().encode(jwtSecret);
    algorithms = ['HS256'];
  } else if (url) {
    key = createRemoteJWKSet(new URL('/auth/v1/.well-known/jwks.json', url));
    algorithms = ['RS256', 'ES256'];
  } else {
    throw new Error('SUPABASE_JWT_SECRET or SUPABASE_URL is needed to verify access tokens');
  }
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        // A token without an expiry would work for ever: exp (and sub) must be there.
        ({ payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms,
          audience: 'authenticated',
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 5,
        }));
      } catch (err) {
        throw new UnauthorizedError(describeJoseError(err));
      }
      if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
        throw new UnauthorizedError('Access token has no valid subject (sub must be a user id).');
      }
      if (payload.role !== 'authenticated') {
        throw new UnauthorizedError('Access token role must be "authenticated".');
      }
      const appMetadata = (payload.app_metadata ?? {}) as Record<string, unknown>;
      return {
        sub: payload.sub.toLowerCase(),
        email: typeof payload.email === 'string' ? payload.email : undefined,
        isOperator: appMetadata.platform_role === 'operator',
        payload,
      };
    },
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'Access token has expired: sign in again.';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'Access token signature is not valid.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return err.reason === 'missing' ? `Access token has no "${err.claim}" claim.` : `Access token claim "${err.claim}" is not valid.`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'Access token is signed with an algorithm we do not accept.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'Access token is signed with an unknown key.';
  return 'Access token is malformed.';
}

export interface LocalTokenInput {
  sub: string;
  email: string;
  operator?: boolean;
  expiresInSeconds?: number;
  /** The token's session_id claim (a new one when absent), as Supabase gives each sign-in's session. */
  sessionId?: string;
}

/**
 * Signs an access token shaped like Supabase's, for local mode (where this
 * server is its own passwordless sign-in provider) and for tests.
 */
export async function issueLocalAccessToken(secret: string, input: LocalTokenInput): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    email: input.email,
    role: 'authenticated',
    aal: 'aal1',
    session_id: input.sessionId ?? randomUUID(),
    app_metadata: { provider: 'email', ...(input.operator ? { platform_role: 'operator' } : {}) },
    user_metadata: {},
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setAudience('authenticated')
    .setIssuer('local')
    .setIssuedAt(now)
    .setExpirationTime(now + (input.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(secret));
}
