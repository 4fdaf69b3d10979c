/**
 * A small local fake of Supabase Auth (GoTrue, under /auth/v1) for tests: the two endpoints the
 * e-mailed sign-in link uses, `POST /auth/v1/otp` (supabase-js `signInWithOtp` with an e-mail)
 * and `POST /auth/v1/verify` (`verifyOtp({ token_hash, type })`), and `POST /auth/v1/invite`
 * (`auth.admin.inviteUserByEmail`: the service role key only; the "Invite user" e-mail, whose
 * token `type: 'invite'` or `'email'` verifies). Point the real supabase-js client at it with `createClient(fake.url, fake.anonKey, …)`.
 *
 * It answers as the real service does (supabase/auth: internal/api/otp.go, magic_link.go,
 * mail.go, verify.go, errors.go; the API gateway in front of it: supabase/supabase,
 * docker/volumes/api/kong.yml):
 * - `/otp` sits behind the gateway's key check: no `apikey` → 401 "No API key found in request",
 *   an unknown key → 401 "Invalid authentication credentials". `/verify` is one of the gateway's
 *   open routes and needs no key.
 * - An e-mail that fails GoTrue's format check → 400 `validation_failed`; `create_user: false`
 *   for an unknown address → 422 `otp_disabled`. A new address gets the "Confirm signup" e-mail
 *   (its token is a confirmation token), a confirmed one the "Magic Link" e-mail (a recovery
 *   token); `type: 'email'` accepts either. A second e-mail to the same address within
 *   `maxFrequencySeconds` (GoTrue's SMTP max frequency, 60 s by default) → 429
 *   `over_email_send_rate_limit`, as does exceeding `emailsPerHour` ("email rate limit exceeded").
 * - The e-mail's redirect is `redirect_to` when GoTrue accepts it (same origin as the site URL,
 *   a loopback address, or an allow-list entry), otherwise the site URL, as GoTrue's
 *   GetReferrer does. The link in the e-mail is rendered from `emailLinkTemplate` with
 *   `{{ .RedirectTo }}`, `{{ .SiteURL }}` and `{{ .TokenHash }}`.
 * - `/verify` with a token_hash that is unknown, already used or older than `otpExpirySeconds`
 *   → 403 `otp_expired` "Email link is invalid or has expired". A good one consumes the token,
 *   confirms the user and answers a session: an HS256 access token signed with `jwtSecret`
 *   carrying GoTrue's claims (aud and role `authenticated`, sub, email, exp, app_metadata, …),
 *   a refresh token, expires_in and the user.
 * - Errors are shaped by the API version the client asks for (`X-Supabase-Api-Version:
 *   2024-01-01`, which supabase-js sends: `{ code, message }`; otherwise the legacy
 *   `{ code: status, error_code, msg }`). An unrouted method → 405, an unknown path → 404.
 *
 * Tests read what would have been e-mailed with `lastEmail(address)` / `lastOtp(address)`.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

/** One HTTP request the fake received, in arrival order. */
export interface SupabaseAuthFakeRequest {
  method: string;
  /** Path without the query string, e.g. /auth/v1/otp */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (undefined when empty; the raw text when it is not JSON). */
  body: unknown;
  headers: IncomingHttpHeaders;
}

/** A user of the fake's project (auth.users, reduced to what these endpoints touch). */
export interface FakeAuthUser {
  id: string;
  email: string;
  createdAt: Date;
  /** Set when a link was verified. */
  confirmedAt: Date | null;
  lastSignInAt: Date | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
}

/** An e-mail GoTrue would have sent. */
export interface FakeAuthEmail {
  to: string;
  /** Which template: "Confirm signup" for a new address, "Magic Link" for a confirmed one, "Invite user" for an invitation. */
  template: 'confirm_signup' | 'magic_link' | 'invite';
  /** What `{{ .TokenHash }}` renders to; what the link carries as token_hash. */
  tokenHash: string;
  /** What `{{ .RedirectTo }}` renders to: redirect_to when allowed, otherwise the site URL. */
  redirectTo: string;
  /** redirect_to as the client asked for it (undefined when it sent none). */
  requestedRedirectTo: string | undefined;
  /** The link in the e-mail, rendered from `emailLinkTemplate`. */
  link: string;
  sentAt: Date;
}

export interface SupabaseAuthFake {
  /** The project URL, e.g. http://127.0.0.1:54321 (no trailing slash): supabase-js's supabaseUrl. */
  url: string;
  /** The anon key the gateway accepts. */
  anonKey: string;
  /** The project's JWT secret: access tokens are HS256 with it. */
  jwtSecret: string;
  /** The site URL (GoTrue's SITE_URL). */
  siteUrl: string;
  /** Every request received, including refused ones. */
  requests: SupabaseAuthFakeRequest[];
  /** Users by lower-cased e-mail. */
  users: Map<string, FakeAuthUser>;
  /** Every e-mail sent, in order. */
  emails: FakeAuthEmail[];
  /** The newest e-mail sent to an address (undefined when none). */
  lastEmail(email: string): FakeAuthEmail | undefined;
  /** The token_hash of the newest e-mail sent to an address; throws when none was sent. */
  lastOtp(email: string): string;
  /** Give a user app_metadata (e.g. `{ platform_role: 'operator' }`), as the service role would. */
  setAppMetadata(email: string, appMetadata: Record<string, unknown>): void;
  /** The next n requests answer 503 ('503', as the platform does while Auth is down) or never answer ('timeout'). */
  failNext(n: number, mode: '503' | 'timeout'): void;
  /** Forget requests, users, e-mails and pending failures. */
  reset(): void;
  close(): Promise<void>;
}

export interface SupabaseAuthFakeOptions {
  anonKey?: string;
  /** Also accepted by the gateway (the service role key). */
  serviceRoleKey?: string;
  /** At least 32 characters (as our config requires); generated when absent. */
  jwtSecret?: string;
  /** GoTrue's SITE_URL (default http://localhost:3000). */
  siteUrl?: string;
  /** GoTrue's additional redirect URLs: exact URLs, or a prefix ending in `**` (any path under it). */
  redirectAllowList?: string[];
  /** The link in the e-mail templates (default: our documented one, docs/supabase-auth.md). */
  emailLinkTemplate?: string;
  /** The link in the "Invite user" template (default: our documented one, docs/supabase-auth.md). */
  inviteLinkTemplate?: string;
  /** Seconds before the same address may be sent another e-mail (GoTrue's default 60; 0: no limit). */
  maxFrequencySeconds?: number;
  /** E-mails the project may send per hour, all addresses together (default: no limit). */
  emailsPerHour?: number;
  /** How long an e-mailed link stays valid (GoTrue's default 3600 s). */
  otpExpirySeconds?: number;
  /** Lifetime of access tokens (GoTrue's default 3600 s). */
  jwtExpirySeconds?: number;
}

/** The link our docs tell operators to paste into both e-mail templates. */
export const DOCUMENTED_EMAIL_LINK = '{{ .RedirectTo }}?token_hash={{ .TokenHash }}&type=email';
/** The link our docs tell operators to paste into the "Invite user" template. */
export const DOCUMENTED_INVITE_LINK = '{{ .RedirectTo }}?token_hash={{ .TokenHash }}&type=invite';

// GoTrue's e-mail format check (github.com/badoux/checkmail, ValidateFormat).
const EMAIL_FORMAT =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const API_VERSION = '2024-01-01';

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startSupabaseAuthFake(opts: SupabaseAuthFakeOptions = {}): Promise<SupabaseAuthFake> {
  const anonKey = opts.anonKey ?? `anon-${randomBytes(16).toString('hex')}`;
  const jwtSecret = opts.jwtSecret ?? randomBytes(48).toString('base64url');
  const siteUrl = (opts.siteUrl ?? 'http://localhost:3000').replace(/\/+$/, '');
  const allowList = opts.redirectAllowList ?? [];
  const linkTemplate = opts.emailLinkTemplate ?? DOCUMENTED_EMAIL_LINK;
  const inviteTemplate = opts.inviteLinkTemplate ?? DOCUMENTED_INVITE_LINK;
  const maxFrequencyMs = (opts.maxFrequencySeconds ?? 60) * 1000;
  const otpExpiryMs = (opts.otpExpirySeconds ?? 3600) * 1000;
  const jwtExpiry = opts.jwtExpirySeconds ?? 3600;
  const gatewayKeys = new Set([anonKey, ...(opts.serviceRoleKey ? [opts.serviceRoleKey] : [])]);

  const requests: SupabaseAuthFakeRequest[] = [];
  const users = new Map<string, FakeAuthUser>();
  const emails: FakeAuthEmail[] = [];
  /** Tokens not yet used: token_hash → the e-mail they were sent in. */
  const liveTokens = new Map<string, FakeAuthEmail>();
  const hanging = new Set<ServerResponse>();
  let failures: { mode: '503' | 'timeout'; left: number } | null = null;
  let baseUrl = '';

  function resolveRedirect(requested: string | undefined): string {
    if (requested && redirectAllowed(requested)) return requested;
    return siteUrl;
  }

  // GoTrue's IsRedirectURLValid: the site's own origin, a loopback address, or the allow-list.
  function redirectAllowed(requested: string): boolean {
    let ref: URL;
    try {
      ref = new URL(requested);
    } catch {
      return false;
    }
    const site = new URL(siteUrl);
    const loopback = /^127\.|^\[::1\]$/.test(ref.hostname);
    // The site's origin; on localhost any port (RFC 8252: native apps pick their port).
    if (site.hostname === ref.hostname && site.protocol === ref.protocol && (site.port === ref.port || loopback || ref.hostname === 'localhost')) {
      return true;
    }
    if (loopback) return true;
    const withoutFragment = requested.split('#')[0]!;
    return allowList.some((entry) =>
      entry.endsWith('**') ? withoutFragment.startsWith(entry.slice(0, -2)) : withoutFragment === entry,
    );
  }

  async function accessToken(user: FakeAuthUser, sessionId: string, now: number): Promise<string> {
    return new SignJWT({
      email: user.email,
      phone: '',
      app_metadata: user.appMetadata,
      user_metadata: user.userMetadata,
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'otp', timestamp: now }],
      session_id: sessionId,
      is_anonymous: false,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(`${baseUrl}/auth/v1`)
      .setSubject(user.id)
      .setAudience('authenticated')
      .setIssuedAt(now)
      .setExpirationTime(now + jwtExpiry)
      .sign(new TextEncoder().encode(jwtSecret));
  }

  function userJson(u: FakeAuthUser) {
    const iso = (d: Date | null) => (d ? d.toISOString() : undefined);
    return {
      id: u.id,
      aud: 'authenticated',
      role: 'authenticated',
      email: u.email,
      email_confirmed_at: iso(u.confirmedAt),
      phone: '',
      confirmed_at: iso(u.confirmedAt),
      last_sign_in_at: iso(u.lastSignInAt),
      app_metadata: u.appMetadata,
      user_metadata: u.userMetadata,
      identities: [],
      created_at: u.createdAt.toISOString(),
      updated_at: new Date().toISOString(),
      is_anonymous: false,
    };
  }

  /** POST /auth/v1/otp (e-mail only: the fake sends no SMS). */
  function otp(req: SupabaseAuthFakeRequest, res: ServerResponse, version: string | undefined): void {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return gotrueError(res, version, 400, 'bad_json', 'Could not parse request body as JSON');
    }
    const params = body as { email?: unknown; phone?: unknown; create_user?: unknown; data?: unknown };
    const rawEmail = typeof params.email === 'string' ? params.email : '';
    if (rawEmail === '') {
      return gotrueError(res, version, 400, 'validation_failed', 'One of email or phone must be set');
    }
    if (rawEmail.length > 255) {
      return gotrueError(res, version, 400, 'validation_failed', 'An email address is too long');
    }
    if (!EMAIL_FORMAT.test(rawEmail)) {
      return gotrueError(res, version, 400, 'validation_failed', 'Unable to validate email address: invalid format');
    }
    const email = rawEmail.toLowerCase();
    let user = users.get(email);
    // create_user defaults to true, as in GoTrue's OtpParams.
    if (!user && params.create_user === false) {
      return gotrueError(res, version, 422, 'otp_disabled', 'Signups not allowed for otp');
    }

    const now = new Date();
    const previous = [...emails].reverse().find((m) => m.to === email);
    if (previous && maxFrequencyMs > 0 && previous.sentAt.getTime() + maxFrequencyMs > now.getTime()) {
      const left = Math.floor((previous.sentAt.getTime() + maxFrequencyMs - now.getTime()) / 1000);
      return gotrueError(res, version, 429, 'over_email_send_rate_limit', `For security purposes, you can only request this after ${left} seconds.`);
    }
    if (opts.emailsPerHour !== undefined) {
      const sentLastHour = emails.filter((m) => m.sentAt.getTime() > now.getTime() - 3_600_000).length;
      if (sentLastHour >= opts.emailsPerHour) {
        return gotrueError(res, version, 429, 'over_email_send_rate_limit', 'email rate limit exceeded');
      }
    }

    if (!user) {
      user = {
        id: randomUUID(),
        email,
        createdAt: now,
        confirmedAt: null,
        lastSignInAt: null,
        appMetadata: { provider: 'email', providers: ['email'] },
        userMetadata: typeof params.data === 'object' && params.data !== null ? { ...(params.data as object) } : {},
      };
      users.set(email, user);
    }
    // A new token replaces the address's previous one of the same kind (one column per user).
    const template = user.confirmedAt ? 'magic_link' : 'confirm_signup';
    for (const [hash, sent] of liveTokens) {
      if (sent.to === email && sent.template === template) liveTokens.delete(hash);
    }
    const otpCode = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
    // GoTrue's GenerateTokenHash: hex SHA-224 of the address and the one-time code.
    const tokenHash = createHash('sha224').update(email + otpCode).digest('hex');
    const redirectTo = resolveRedirect(req.query.redirect_to);
    const link = linkTemplate
      .replaceAll('{{ .RedirectTo }}', redirectTo)
      .replaceAll('{{ .SiteURL }}', siteUrl)
      .replaceAll('{{ .TokenHash }}', tokenHash);
    const sent: FakeAuthEmail = { to: email, template, tokenHash, redirectTo, requestedRedirectTo: req.query.redirect_to, link, sentAt: now };
    emails.push(sent);
    liveTokens.set(tokenHash, sent);
    json(res, 200, {});
  }

  /**
   * POST /auth/v1/invite (supabase-js `auth.admin.inviteUserByEmail`): the service role only
   * (GoTrue's requireAdmin: a bearer token with role service_role; here, the service role key).
   * A new or unconfirmed address gets the "Invite user" e-mail; a confirmed one → 422 email_exists.
   */
  function invite(req: SupabaseAuthFakeRequest, res: ServerResponse, version: string | undefined): void {
    const bearer = headerValue(req.headers.authorization)?.replace(/^Bearer /i, '');
    if (!opts.serviceRoleKey || bearer !== opts.serviceRoleKey) {
      return gotrueError(res, version, 403, 'not_admin', 'User not allowed');
    }
    const params = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { email?: unknown; data?: unknown };
    const rawEmail = typeof params.email === 'string' ? params.email : '';
    if (!EMAIL_FORMAT.test(rawEmail)) {
      return gotrueError(res, version, 400, 'validation_failed', 'Unable to validate email address: invalid format');
    }
    const email = rawEmail.toLowerCase();
    const now = new Date();
    let user = users.get(email);
    if (user?.confirmedAt) {
      return gotrueError(res, version, 422, 'email_exists', 'A user with this email address has already been registered');
    }
    if (!user) {
      user = {
        id: randomUUID(),
        email,
        createdAt: now,
        confirmedAt: null,
        lastSignInAt: null,
        appMetadata: { provider: 'email', providers: ['email'] },
        userMetadata: typeof params.data === 'object' && params.data !== null ? { ...(params.data as object) } : {},
      };
      users.set(email, user);
    }
    for (const [hash, sent] of liveTokens) {
      if (sent.to === email && sent.template !== 'magic_link') liveTokens.delete(hash);
    }
    const otpCode = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
    const tokenHash = createHash('sha224').update(email + otpCode).digest('hex');
    const redirectTo = resolveRedirect(req.query.redirect_to);
    const link = inviteTemplate
      .replaceAll('{{ .RedirectTo }}', redirectTo)
      .replaceAll('{{ .SiteURL }}', siteUrl)
      .replaceAll('{{ .TokenHash }}', tokenHash);
    const sent: FakeAuthEmail = { to: email, template: 'invite', tokenHash, redirectTo, requestedRedirectTo: req.query.redirect_to, link, sentAt: now };
    emails.push(sent);
    liveTokens.set(tokenHash, sent);
    json(res, 200, userJson(user));
  }

  /** POST /auth/v1/verify with token_hash and type. */
  async function verify(req: SupabaseAuthFakeRequest, res: ServerResponse, version: string | undefined): Promise<void> {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return gotrueError(res, version, 400, 'bad_json', 'Could not parse request body as JSON');
    }
    const params = body as { type?: unknown; token?: unknown; token_hash?: unknown; email?: unknown; phone?: unknown };
    const type = typeof params.type === 'string' ? params.type : '';
    const tokenHash = typeof params.token_hash === 'string' ? params.token_hash : '';
    if (type === '') return gotrueError(res, version, 400, 'validation_failed', 'Verify requires a verification type');
    if ((tokenHash === '') === (typeof params.token !== 'string' || params.token === '')) {
      return gotrueError(res, version, 400, 'validation_failed', 'Verify requires either a token or a token hash');
    }
    if (tokenHash === '') {
      // The six-digit code typed by hand is not part of our sign-in.
      return gotrueError(res, version, 400, 'validation_failed', 'supabase auth fake: only token_hash verification is implemented');
    }
    if (params.email || params.phone || req.query.redirect_to) {
      return gotrueError(res, version, 400, 'validation_failed', 'Only the token_hash and type should be provided');
    }
    // An invitation's token is a confirmation token: `invite` and `email` both find it.
    const accepts: Record<string, FakeAuthEmail['template'][]> = {
      email: ['confirm_signup', 'magic_link', 'invite'],
      invite: ['invite'],
      signup: ['confirm_signup'],
      magiclink: ['magic_link'],
    };
    const templates = accepts[type];
    if (!templates) return gotrueError(res, version, 400, 'validation_failed', 'Invalid email verification type');

    const sent = liveTokens.get(tokenHash);
    const now = new Date();
    if (!sent || !templates.includes(sent.template) || sent.sentAt.getTime() + otpExpiryMs < now.getTime()) {
      return gotrueError(res, version, 403, 'otp_expired', 'Email link is invalid or has expired');
    }
    liveTokens.delete(tokenHash);
    const user = users.get(sent.to)!;
    user.confirmedAt ??= now;
    user.lastSignInAt = now;
    const nowSecs = Math.floor(now.getTime() / 1000);
    const token = await accessToken(user, randomUUID(), nowSecs);
    json(res, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: jwtExpiry,
      expires_at: nowSecs + jwtExpiry,
      refresh_token: randomBytes(9).toString('base64url'),
      user: userJson(user),
    });
  }

  async function route(req: SupabaseAuthFakeRequest, res: ServerResponse): Promise<void> {
    const version = req.headers['x-supabase-api-version'] === API_VERSION ? API_VERSION : undefined;
    if (req.path === '/auth/v1/verify') {
      // An open route at the gateway: the link in an e-mail carries no key.
      if (req.method !== 'POST' && req.method !== 'GET') return empty(res, 405);
      if (req.method === 'GET') {
        return gotrueError(res, version, 400, 'validation_failed', 'supabase auth fake: GET /verify (the redirecting link) is not implemented');
      }
      return verify(req, res, version);
    }
    if (!req.path.startsWith('/auth/v1/')) return notFound(res);
    // Everything else under /auth/v1/ is behind the gateway's key check (Kong key-auth).
    const key = headerValue(req.headers.apikey) ?? req.query.apikey;
    if (!key) return json(res, 401, { message: 'No API key found in request' });
    if (!gatewayKeys.has(key)) return json(res, 401, { message: 'Invalid authentication credentials' });
    if (req.path === '/auth/v1/otp') {
      if (req.method !== 'POST') return empty(res, 405);
      return otp(req, res, version);
    }
    if (req.path === '/auth/v1/invite') {
      if (req.method !== 'POST') return empty(res, 405);
      return invite(req, res, version);
    }
    return notFound(res);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const entry: SupabaseAuthFakeRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        body,
        headers: req.headers,
      };
      requests.push(entry);

      if (failures && failures.left > 0) {
        const mode = failures.mode;
        failures.left -= 1;
        if (failures.left === 0) failures = null;
        if (mode === 'timeout') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        // What the platform's gateway answers while the Auth service is not there.
        return json(res, 503, { message: 'name resolution failed' });
      }
      route(entry, res).catch((err: unknown) => {
        json(res, 500, { code: 'unexpected_failure', message: `supabase auth fake: ${(err as Error).message}` });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  function lastEmail(email: string): FakeAuthEmail | undefined {
    const to = email.toLowerCase();
    return [...emails].reverse().find((m) => m.to === to);
  }

  return {
    url: baseUrl,
    anonKey,
    jwtSecret,
    siteUrl,
    requests,
    users,
    emails,
    lastEmail,
    lastOtp(email: string) {
      const sent = lastEmail(email);
      if (!sent) throw new Error(`supabase auth fake: no e-mail was sent to ${email}`);
      return sent.tokenHash;
    },
    setAppMetadata(email: string, appMetadata: Record<string, unknown>) {
      const user = users.get(email.toLowerCase());
      if (!user) throw new Error(`supabase auth fake: no user ${email}`);
      user.appMetadata = { ...user.appMetadata, ...appMetadata };
    },
    failNext(n: number, mode: '503' | 'timeout') {
      failures = n > 0 ? { mode, left: n } : null;
    },
    reset() {
      requests.length = 0;
      users.clear();
      emails.length = 0;
      liveTokens.clear();
      failures = null;
    },
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** GoTrue's error body: `{ code, message }` from API version 2024-01-01 on, `{ code, error_code, msg }` before. */
function gotrueError(res: ServerResponse, version: string | undefined, status: number, code: string, message: string): void {
  res.setHeader('x-sb-error-code', code);
  if (version) {
    res.setHeader('x-supabase-api-version', version);
    return json(res, status, { code, message });
  }
  json(res, status, { code: status, error_code: code, msg: message });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

// chi's default answer for an unrouted path.
function notFound(res: ServerResponse): void {
  const text = '404 page not found\n';
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
