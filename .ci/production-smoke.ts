// CI: waits for a server started with `npm start` (NODE_ENV=production) to
// answer /readyz, then signs in a new user with an access token like
// Supabase's (HS256 under SUPABASE_JWT_SECRET) and creates and lists an
// organisation: requests that run under RLS as `authenticated`.
// Usage: npx tsx .ci/production-smoke.ts <base-url>   (SUPABASE_JWT_SECRET in the environment)
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

const base = process.argv[2];
const secret = process.env.SUPABASE_JWT_SECRET;
if (!base || !secret) {
  console.error('usage: SUPABASE_JWT_SECRET=... npx tsx .ci/production-smoke.ts <base-url>');
  process.exit(2);
}

function fail(message: string): never {
  console.error(`production smoke test: ${message}`);
  process.exit(1);
}

const deadline = Date.now() + 90_000;
let ready: Response | undefined;
while (Date.now() < deadline) {
  ready = await fetch(`${base}/readyz`).catch(() => undefined);
  if (ready?.ok) break;
  await new Promise((r) => setTimeout(r, 500));
}
if (!ready?.ok) fail(`/readyz did not answer 200 within 90 s (last: ${ready?.status ?? 'no answer'})`);
console.log(`GET /readyz: ${ready.status} ${JSON.stringify(await ready.json())}`);

const token = await new SignJWT({ role: 'authenticated', email: `ci-${randomUUID()}@example.test` })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(randomUUID())
  .setAudience('authenticated')
  .setIssuedAt()
  .setExpirationTime('10m')
  .sign(new TextEncoder().encode(secret));
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

const created = await fetch(`${base}/api/orgs`, { method: 'POST', headers, body: JSON.stringify({ name: 'CI organisation' }) });
if (created.status !== 201) fail(`POST /api/orgs answered ${created.status}: ${await created.text()}`);
const org = await created.json();
console.log(`POST /api/orgs: ${created.status}`);

const listed = await fetch(`${base}/api/orgs`, { headers });
const body = await listed.json();
if (listed.status !== 200 || !body.organizations?.some((o: { id: string }) => o.id === org.id)) {
  fail(`GET /api/orgs answered ${listed.status} without the new organisation: ${JSON.stringify(body)}`);
}
console.log(`GET /api/orgs: ${listed.status}, the new organisation is listed`);
