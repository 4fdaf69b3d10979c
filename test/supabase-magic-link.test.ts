import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createSupabaseMagicLink,
  SignInLinkError,
  SignInRateLimitedError,
  type SupabaseMagicLink,
} from '../src/auth/supabase-magic-link.js';
import { createTokenVerifier, type TokenVerifier } from '../src/auth/tokens.js';
import { UnauthorizedError, UpstreamError, ValidationError } from '../src/lib/errors.js';
import { startSupabaseAuthFake, type SupabaseAuthFake } from './fakes/supabase-auth-fake.js';

const PUBLIC_BASE_URL = 'https://voice.example.test';
const CONFIRM_URL = `${PUBLIC_BASE_URL}/app/auth/confirm`;

let fake: SupabaseAuthFake;
let magicLink: SupabaseMagicLink;
let verifier: TokenVerifier;
let n = 0;
const address = (label: string) => `${label}-${Date.now()}-${++n}@example.test`;

beforeAll(async () => {
  fake = await startSupabaseAuthFake({ siteUrl: 'https://www.example.test', redirectAllowList: [CONFIRM_URL] });
  magicLink = createSupabaseMagicLink({ supabaseUrl: fake.url, anonKey: fake.anonKey, publicBaseUrl: PUBLIC_BASE_URL });
  // As production configures it: the project's URL and its JWT secret.
  verifier = createTokenVerifier({
    supabase: { url: fake.url, jwtSecret: fake.jwtSecret, serviceRoleKey: undefined, anonKey: fake.anonKey },
  });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The link as the e-mail renders it, read like the confirm page will: token_hash and type from the query. */
function linkParams(email: string): { url: URL; tokenHash: string; type: string } {
  const sent = fake.lastEmail(email);
  expect(sent, `an e-mail to ${email}`).toBeDefined();
  const url = new URL(sent!.link);
  return { url, tokenHash: url.searchParams.get('token_hash')!, type: url.searchParams.get('type')! };
}

describe('production sign-in through Supabase Auth (supabase-js against the local fake)', () => {
  it('sends the e-mail with the link back to /app/auth/confirm', async () => {
    const email = address('send');
    await magicLink.send(email);

    const otpRequests = fake.requests.filter((r) => r.path === '/auth/v1/otp');
    const req = otpRequests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.query.redirect_to).toBe(CONFIRM_URL);
    expect(req.headers.apikey).toBe(fake.anonKey);
    expect(req.body).toMatchObject({ email, create_user: true, code_challenge: null });

    const sent = fake.lastEmail(email)!;
    expect(sent.to).toBe(email);
    expect(sent.requestedRedirectTo).toBe(CONFIRM_URL);
    expect(sent.redirectTo).toBe(CONFIRM_URL);
    const { url, tokenHash, type } = linkParams(email);
    expect(`${url.origin}${url.pathname}`).toBe(CONFIRM_URL);
    expect(tokenHash).toBe(fake.lastOtp(email));
    expect(type).toBe('email');
    // The link carries no token of the session, in the query or in a fragment.
    expect(url.hash).toBe('');
    expect([...url.searchParams.keys()].sort()).toEqual(['token_hash', 'type']);
  });

  it('confirm exchanges the link for an access token our verifier accepts, once', async () => {
    const email = address('confirm');
    await magicLink.send(email);
    const { tokenHash, type } = linkParams(email);

    const session = await magicLink.confirm(tokenHash, type);
    const user = fake.users.get(email)!;
    expect(session.userId).toBe(user.id);
    expect(session.expiresIn).toBe(3600);
    const verified = await verifier.verify(session.accessToken);
    expect(verified.sub).toBe(user.id);
    expect(verified.email).toBe(email);
    expect(verified.isOperator).toBe(false);
    expect(user.confirmedAt).not.toBeNull();

    // The same link a second time: Supabase has consumed it.
    const again = await magicLink.confirm(tokenHash, type).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SignInLinkError);
    expect((again as SignInLinkError).status).toBe(400);
    expect((again as SignInLinkError).code).toBe('sign_in_link_invalid');
    expect((again as Error).message).toMatch(/expired or has already been used/);
  });

  it('an account that already exists gets the magic-link e-mail and signs in as the same user', async () => {
    const email = address('returning');
    await magicLink.send(email);
    const first = await magicLink.confirm(linkParams(email).tokenHash, 'email');
    fake.lastEmail(email)!.sentAt = new Date(Date.now() - 61_000); // past the once-a-minute limit
    fake.setAppMetadata(email, { platform_role: 'operator' });

    await magicLink.send(email);
    expect(fake.lastEmail(email)!.template).toBe('magic_link');
    const second = await magicLink.confirm(linkParams(email).tokenHash, 'email');
    expect(second.userId).toBe(first.userId);
    const verified = await verifier.verify(second.accessToken);
    expect(verified.sub).toBe(first.userId);
    expect(verified.isOperator).toBe(true);
  });

  it('an unknown token hash, an incomplete link or another type is refused as an invalid link', async () => {
    await expect(magicLink.confirm('0'.repeat(56), 'email')).rejects.toBeInstanceOf(SignInLinkError);
    await expect(magicLink.confirm('', 'email')).rejects.toBeInstanceOf(SignInLinkError);

    const email = address('type');
    await magicLink.send(email);
    const { tokenHash } = linkParams(email);
    const before = fake.requests.length;
    await expect(magicLink.confirm(tokenHash, 'recovery')).rejects.toBeInstanceOf(SignInLinkError);
    expect(fake.requests.length).toBe(before); // refused here, not sent on
    // The link still works: nothing consumed it.
    await expect(magicLink.confirm(tokenHash, 'email')).resolves.toMatchObject({ userId: fake.users.get(email)!.id });
  });

  it('a token signed with another secret is not accepted by the verifier', async () => {
    const other = await startSupabaseAuthFake({ siteUrl: PUBLIC_BASE_URL });
    try {
      const otherLink = createSupabaseMagicLink({ supabaseUrl: other.url, anonKey: other.anonKey, publicBaseUrl: PUBLIC_BASE_URL });
      const email = address('other');
      await otherLink.send(email);
      const { accessToken } = await otherLink.confirm(other.lastOtp(email), 'email');
      await expect(verifier.verify(accessToken)).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      await other.close();
    }
  });

  it('asking again within a minute is refused with a clear rate-limit error', async () => {
    const email = address('rate');
    await magicLink.send(email);
    const err = await magicLink.send(email).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInRateLimitedError);
    expect((err as SignInRateLimitedError).status).toBe(429);
    expect((err as Error).message).toMatch(/Wait a minute/);
    expect(fake.emails.filter((m) => m.to === email)).toHaveLength(1);
  });

  it("the project's hourly e-mail allowance is a rate limit too", async () => {
    const limited = await startSupabaseAuthFake({ siteUrl: PUBLIC_BASE_URL, emailsPerHour: 1 });
    try {
      const link = createSupabaseMagicLink({ supabaseUrl: limited.url, anonKey: limited.anonKey, publicBaseUrl: PUBLIC_BASE_URL });
      await link.send(address('hourly'));
      await expect(link.send(address('hourly'))).rejects.toBeInstanceOf(SignInRateLimitedError);
    } finally {
      await limited.close();
    }
  });

  it('an address Supabase cannot read is a validation error', async () => {
    const err = await magicLink.send('not-an-address').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).status).toBe(400);
    expect(fake.emails.some((m) => m.to === 'not-an-address')).toBe(false);
  });

  it('Supabase down, failing or silent is an upstream error, never a crash', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {}); // supabase-js logs network failures
    const gone = await startSupabaseAuthFake();
    const goneUrl = gone.url;
    await gone.close();
    const down = createSupabaseMagicLink({ supabaseUrl: goneUrl, anonKey: 'anon', publicBaseUrl: PUBLIC_BASE_URL });
    const sendErr = await down.send(address('down')).catch((e: unknown) => e);
    expect(sendErr).toBeInstanceOf(UpstreamError);
    expect((sendErr as Error).message).toMatch(/could not be reached/);
    await expect(down.confirm('0'.repeat(56), 'email')).rejects.toBeInstanceOf(UpstreamError);
    expect(consoleError).toHaveBeenCalled();

    fake.failNext(1, '503');
    await expect(magicLink.send(address('503'))).rejects.toBeInstanceOf(UpstreamError);

    const email = address('timeout');
    await magicLink.send(email);
    const slow = createSupabaseMagicLink({ supabaseUrl: fake.url, anonKey: fake.anonKey, publicBaseUrl: PUBLIC_BASE_URL, timeoutMs: 300 });
    fake.failNext(1, 'timeout');
    const started = Date.now();
    await expect(slow.confirm(fake.lastOtp(email), 'email')).rejects.toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a wrong anon key is a configuration problem (upstream), not the person', async () => {
    const wrongKey = createSupabaseMagicLink({ supabaseUrl: fake.url, anonKey: 'not-the-key', publicBaseUrl: PUBLIC_BASE_URL });
    const err = await wrongKey.send(address('key')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(/HTTP 401/);
  });
});

describe('the Supabase Auth fake answers as Supabase does', () => {
  it('refuses /otp without an API key or with the wrong method; /verify is open', async () => {
    const noKey = await fetch(`${fake.url}/auth/v1/otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address('raw') }),
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({ message: 'No API key found in request' });

    const get = await fetch(`${fake.url}/auth/v1/otp`, { headers: { apikey: fake.anonKey } });
    expect(get.status).toBe(405);

    const verify = await fetch(`${fake.url}/auth/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'email', token_hash: 'unknown' }),
    });
    expect(verify.status).toBe(403);
    expect(await verify.json()).toEqual({ code: 403, error_code: 'otp_expired', msg: 'Email link is invalid or has expired' });
  });

  it('puts the site URL in the e-mail when the redirect is not allowed, and refuses new users when asked to', async () => {
    const email = address('redirect');
    const res = await fetch(`${fake.url}/auth/v1/otp?redirect_to=${encodeURIComponent('https://elsewhere.example/app/auth/confirm')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: fake.anonKey, 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify({ email, create_user: true }),
    });
    expect(res.status).toBe(200);
    expect(fake.lastEmail(email)!.redirectTo).toBe('https://www.example.test');
    expect(fake.lastEmail(email)!.link.startsWith('https://www.example.test?token_hash=')).toBe(true);

    const noSignup = await fetch(`${fake.url}/auth/v1/otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: fake.anonKey, 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify({ email: address('nosignup'), create_user: false }),
    });
    expect(noSignup.status).toBe(422);
    expect(await noSignup.json()).toEqual({ code: 'otp_disabled', message: 'Signups not allowed for otp' });
  });
});
