import { createClient, isAuthError, isAuthRetryableFetchError, type AuthError, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { AppError, UpstreamError, ValidationError } from '../lib/errors.js';

/**
 * Production's e-mailed sign-in, through Supabase Auth, on Supabase's server-side
 * pattern: Supabase e-mails a link that comes straight back to this server
 * (`/app/auth/confirm?token_hash=…&type=email`, or `type=invite` for an invitation; the e-mail templates in
 * docs/supabase-auth.md), and the server exchanges the token hash for a session
 * with `verifyOtp`. The access token therefore never travels in a URL, neither
 * in a query nor in a fragment.
 */
export interface SupabaseMagicLink {
  /** Asks Supabase Auth to e-mail a sign-in link (a new address gets an account, so a new user can sign up). */
  send(email: string): Promise<void>;
  /** Exchanges the link's token hash for a session; a link works once. */
  confirm(tokenHash: string, type: string): Promise<{ accessToken: string; expiresIn: number; userId: string }>;
}

export interface SupabaseMagicLinkOptions {
  supabaseUrl: string;
  /** The project's public (anon) key: these endpoints are the ones a browser could call too. */
  anonKey: string;
  /** This server's public URL; the link comes back to its /app/auth/confirm. */
  publicBaseUrl: string;
  /** How long one request to Supabase Auth may take before sign-in reports it unreachable (default 10 s). */
  timeoutMs?: number;
}

/** A sign-in link that is unknown, already used or expired. */
export class SignInLinkError extends AppError {
  constructor(message = 'This sign-in link has expired or has already been used. Request a new one.') {
    super(400, 'sign_in_link_invalid', message);
  }
}

/** Supabase Auth refuses to send another e-mail yet (per address, or the project's hourly allowance). */
export class SignInRateLimitedError extends AppError {
  constructor(message = 'Too many sign-in e-mails have been asked for. Wait a minute, then try again.') {
    super(429, 'rate_limited', message);
  }
}

/** The path the e-mailed link returns to; the dashboard serves it. */
export const CONFIRM_PATH = '/app/auth/confirm';

/**
 * Link types the confirm page accepts: `email` covers both the magic link and a new
 * address's signup confirmation; `invite` is a team invitation's ("Invite user" template).
 */
const SIGN_IN_LINK_TYPES = new Set(['email', 'invite'] as const);
type SignInLinkType = typeof SIGN_IN_LINK_TYPES extends Set<infer T> ? T : never;

function isSignInLinkType(type: string): type is SignInLinkType {
  return (SIGN_IN_LINK_TYPES as Set<string>).has(type);
}

export function createSupabaseMagicLink(opts: SupabaseMagicLinkOptions): SupabaseMagicLink {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const emailRedirectTo = `${opts.publicBaseUrl.replace(/\/+$/, '')}${CONFIRM_PATH}`;

  // A client per call: verifyOtp keeps the session it gets in its client's memory,
  // and one person's session has no business in a client another request uses.
  function client() {
    return createClient(opts.supabaseUrl, opts.anonKey, {
      auth: {
        persistSession: false,
        autoRefreshToken: false,
        detectSessionInUrl: false,
        // The implicit flow, because the token hash is verified here on the server: PKCE
        // would keep a code verifier in this client's memory that nothing ever reads, since
        // verifyOtp with a token hash needs none.
        flowType: 'implicit',
      },
      // An unreachable Supabase must fail the request, not hold it open: supabase-js sets no timeout.
      global: { fetch: (input, init) => fetch(input, { ...init, signal: withTimeout(init?.signal, timeoutMs) }) },
      // supabase-js builds a realtime client up front and needs a WebSocket for
      // it; Node 20 has no global one. (We never open a channel: nothing connects.)
      realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    });
  }

  return {
    async send(email) {
      let error: AuthError | null;
      try {
        ({ error } = await client().auth.signInWithOtp({
          email,
          options: { emailRedirectTo, shouldCreateUser: true },
        }));
      } catch (err) {
        throw unexpected(err);
      }
      if (!error) return;
      if (isAuthRetryableFetchError(error)) throw unreachable();
      if (error.status === 429) throw new SignInRateLimitedError();
      if (error.status === 400 && error.code === 'validation_failed') {
        throw new ValidationError('Enter a valid e-mail address.');
      }
      throw refused(error);
    },

    async confirm(tokenHash, type) {
      if (!isSignInLinkType(type) || tokenHash === '') throw new SignInLinkError('This sign-in link is not complete. Request a new one.');
      let result;
      try {
        result = await client().auth.verifyOtp({ token_hash: tokenHash, type });
      } catch (err) {
        throw unexpected(err);
      }
      const { data, error } = result;
      if (error) {
        if (isAuthRetryableFetchError(error)) throw unreachable();
        if (error.status === 429) throw new SignInRateLimitedError('Too many sign-in attempts. Wait a minute, then open the link again.');
        // GoTrue answers 403 otp_expired for an unknown, used or expired token hash.
        if (error.code === 'otp_expired' || error.status === 403) throw new SignInLinkError();
        throw refused(error);
      }
      const session = data.session;
      if (!session?.access_token || !session.user?.id) {
        throw new UpstreamError('Supabase Auth accepted the sign-in link but returned no session.');
      }
      return { accessToken: session.access_token, expiresIn: session.expires_in, userId: session.user.id };
    },
  };
}

function unreachable(): UpstreamError {
  return new UpstreamError('Supabase Auth could not be reached. Try again in a moment.');
}

// Anything else Supabase refuses (a wrong anon key, a disabled provider) is our configuration's fault, not the person's.
function refused(error: AuthError): UpstreamError {
  return new UpstreamError(`Supabase Auth refused the sign-in request (HTTP ${error.status ?? 'error'}${error.code ? `, ${error.code}` : ''}).`);
}

function unexpected(err: unknown): UpstreamError {
  if (isAuthError(err) && isAuthRetryableFetchError(err)) return unreachable();
  return new UpstreamError('Supabase Auth answered something sign-in could not read.');
}

function withTimeout(signal: AbortSignal | null | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
