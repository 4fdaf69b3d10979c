import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { ServiceDb } from '../db/database.js';
import * as noncesRepo from '../db/used-nonces-repo.js';
import { normaliseEmail } from '../lib/crypto.js';
import { BadRequestError } from '../lib/errors.js';
import type { Mailer } from '../lib/mailer.js';
import type { SignInTrail } from './sign-in-trail.js';
import { issueLocalAccessToken } from './tokens.js';
import { findOrCreateUserByEmail } from './users-repo.js';

const MAGIC_LINK_AUDIENCE = 'local-magic-link';
const MAGIC_LINK_TTL_SECONDS = 15 * 60;

export interface LocalSignInDeps {
  serviceDb: ServiceDb;
  mailer: Mailer;
  jwtSecret: string;
  blindIndexKey: Buffer;
  publicBaseUrl: string;
  /** OPERATOR_EMAILS: addresses (trimmed, lower-case) whose tokens say `platform_role = "operator"`. */
  operatorEmails?: readonly string[];
  /** Audits each sign-in (auth.signed_in) in the person's organisations. */
  signInTrail: SignInTrail;
}

/**
 * Local mode's passwordless sign-in, standing in for Supabase Auth's magic
 * links: a signed, 15-minute, single-use link is e-mailed; opening it yields
 * an access token shaped like Supabase's.
 */
export function createLocalSignIn(deps: LocalSignInDeps) {
  const key = new TextEncoder().encode(deps.jwtSecret);

  async function linkFor(email: string, purpose: 'sign_in' | 'invitation'): Promise<string> {
    const token = await new SignJWT({ email: normaliseEmail(email), purpose })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(MAGIC_LINK_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${MAGIC_LINK_TTL_SECONDS}s`)
      .sign(key);
    return `${deps.publicBaseUrl}/auth/callback?token=${encodeURIComponent(token)}`;
  }

  return {
    /** E-mails a sign-in link. Says nothing about whether the address is known. */
    async sendMagicLink(email: string, purpose: 'sign_in' | 'invitation' = 'sign_in'): Promise<void> {
      const link = await linkFor(email, purpose);
      const intro =
        purpose === 'invitation'
          ? 'You have been invited to an organisation on the voice-agent privacy backend.'
          : 'Here is your sign-in link.';
      await deps.mailer.send({
        to: normaliseEmail(email),
        subject: purpose === 'invitation' ? 'You have been invited' : 'Your sign-in link',
        text:
          purpose === 'invitation'
            ? `${intro}\n\nOpen this link within 15 minutes to sign in (it works once), then accept or decline the invitation:\n${link}\n\nUntil you accept, you are not a member. If you do not want to join, decline it or ignore this e-mail.`
            : `${intro}\n\nOpen this link within 15 minutes to sign in (it works once):\n${link}\n\nIf you did not ask for this, ignore this e-mail.`,
      });
    },

    /**
     * Exchanges a magic link's token (once) for an access token; `purpose` says
     * whether the link was an invitation's (the dashboard then shows the invitations).
     */
    async exchange(token: string): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number; user_id: string; purpose: 'sign_in' | 'invitation' }> {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, key, { audience: MAGIC_LINK_AUDIENCE, algorithms: ['HS256'] }));
      } catch (err) {
        throw new BadRequestError(
          err instanceof joseErrors.JWTExpired ? 'This sign-in link has expired: ask for a new one.' : 'This sign-in link is not valid.',
        );
      }
      const email = payload.email;
      if (typeof email !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
        throw new BadRequestError('This sign-in link is not valid.');
      }
      const sessionId = randomUUID();
      const user = await deps.serviceDb.begin(async (tx) => {
        const [fresh] = await noncesRepo.claimMagicLinkNonce(tx, payload.jti!, payload.exp!);
        if (!fresh) throw new BadRequestError('This sign-in link has already been used: ask for a new one.');
        // Signing in accepts nothing: the person answers each invitation on /app/invitations.
        const signedIn = await findOrCreateUserByEmail(tx, deps.blindIndexKey, email);
        // The sign-in is audited with the link's use: both happen, or neither (the link still works).
        await deps.signInTrail.signedIn(tx, signedIn.id, 'magic_link', sessionId);
        return signedIn;
      });
      const expiresIn = 3600;
      const operator = (deps.operatorEmails ?? []).includes(normaliseEmail(email));
      const accessToken = await issueLocalAccessToken(deps.jwtSecret, { sub: user.id, email, operator, expiresInSeconds: expiresIn, sessionId });
      const purpose = payload.purpose === 'invitation' ? 'invitation' : 'sign_in';
      return { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn, user_id: user.id, purpose };
    },
  };
}

export type LocalSignIn = ReturnType<typeof createLocalSignIn>;
