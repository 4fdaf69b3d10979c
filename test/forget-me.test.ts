import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createForgetMeService, DEFAULT_FORGET_ME_SETTINGS } from '../src/forget-me/forget-me-service.js';
import { createApp } from '../src/http/app.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { createOrg, openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { observeResponses } from './helpers/openapi-check.js';
import { startSmtp, type ReceivedMail, type TestSmtp } from './helpers/smtp.js';

const SMS_FROM = '+35315550100';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let twilioFake: TwilioFake;
let elFake: ElevenLabsFake;
let config: AppConfig;
let deps: ReturnType<typeof buildAppDeps>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  elFake = await startElevenLabsFake({ apiKey: 'el-test-key' });
  config = testConfig({
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    TWILIO_SMS_FROM: SMS_FROM,
    ELEVENLABS_API_KEY: 'el-test-key',
    ELEVENLABS_BASE_URL: elFake.url,
    SMTP_URL: smtp.url,
    // Markup in the name proves the pages escape it.
    OPERATOR_NAME: 'Voice <Agents> & Co. GmbH',
    PRIVACY_CONTACT_EMAIL: 'privacy-desk@voice.example.test',
  });
  deps = buildAppDeps(config, db);
  // One proxy in front, as in production: each test speaks from its own client address.
  app = observeResponses(createApp({ ...deps, trustProxy: 1 }));
});
afterAll(async () => {
  await twilioFake.close();
  await elFake.close();
  await smtp.close();
  await isolated.close();
});

let ipCounter = 0;
/** A fresh client address (TEST-NET-3), so the per-IP limit of one test does not touch another. */
const newIp = () => {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
};
const uniqueEmail = (tag: string) => `${tag}-${randomBytes(5).toString('hex')}@example.test`;
const uniquePhone = () => `+4930${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;

const postForm = (ip: string, body: Record<string, string>) =>
  request(app).post('/forget-me').set('X-Forwarded-For', ip).set('Accept', 'text/html').type('form').send(body);
const postJson = (ip: string, body: unknown) => request(app).post('/forget-me').set('X-Forwarded-For', ip).send(body as object);

const mailTo = (address: string) => smtp.waitFor((m) => m.to.includes(address));
function linkIn(mail: ReceivedMail): string {
  const match = /https:\/\/voice\.example\.test(\/forget-me\/confirm\?token=[A-Za-z0-9._-]+(?:&lang=\w+)?)/.exec(mail.text);
  expect(match, 'a confirmation link in the e-mail').toBeTruthy();
  return match![1]!;
}
const tokenOf = (path: string) => new URL(path, 'http://x').searchParams.get('token')!;
/** The confirmation page's button: a form post of the token, from our own origin. */
const pressConfirm = (token: string, lang?: string) =>
  request(app)
    .post('/forget-me/confirm')
    .set('X-Forwarded-For', newIp())
    .set('Accept', 'text/html')
    .set('Origin', 'https://voice.example.test')
    .type('form')
    .send(lang ? { token, lang } : { token });
const postConfirmJson = (body: unknown) =>
  request(app).post('/forget-me/confirm').set('X-Forwarded-For', newIp()).set('Accept', 'application/json').send(body as object);

async function requestFor(type: 'email' | 'phone', value: string) {
  const hash = keyedHash(config.blindIndexKey, type, value);
  const rows = await db<{ id: string; status: string; contact_email: string | null; source: string }[]>`
    select id, status, contact_email, source from public.erasure_requests where subject_hash = ${hash} order by received_at`;
  return rows;
}
const nonceFor = (requestId: string) => db`select 1 from app.used_nonces where kind = 'forget_me_link' and nonce = ${requestId}`;

/** A person we hold data on: a lead with this address in an organisation. */
async function seedKnownPerson(email: string, phone = uniquePhone()) {
  const org = await createOrg(db, config);
  await db`
    insert into public.leads (org_id, name, email, email_hash, phone, phone_hash)
    values (${org.id}, 'Known Person', ${email}, ${keyedHash(config.blindIndexKey, 'email', email)},
            ${phone}, ${keyedHash(config.blindIndexKey, 'phone', phone)})`;
  return { orgId: org.id, email, phone };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

describe('GET /forget-me', () => {
  it('is a plain, labelled form in English by default, with a link to German', async () => {
    const res = await request(app).get('/forget-me');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('<h1>Your data: get a copy, stop recording, erase it</h1>');
    expect(res.text).not.toContain('<script');
    expect(res.text).toContain('<form method="post" action="/forget-me"');
    for (const id of ['email', 'phone', 'contact_email']) {
      expect(res.text).toContain(`<label for="${id}">`);
      expect(res.text).toContain(`id="${id}" name="${id}"`);
    }
    expect(res.text).toContain('We never reveal whether we hold data about you');
    expect(res.text).toMatch(/<a href="\/forget-me\?lang=de" hreflang="de" lang="de">Deutsch<\/a>/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('speaks German with ?lang=de or Accept-Language: de', async () => {
    for (const res of [await request(app).get('/forget-me?lang=de'), await request(app).get('/forget-me').set('Accept-Language', 'de-DE,de;q=0.9,en;q=0.5')]) {
      expect(res.status).toBe(200);
      expect(res.text).toContain('<html lang="de">');
      expect(res.text).toContain('<h1>Ihre Daten: Auskunft, keine Aufzeichnung, Löschung</h1>');
      expect(res.text).toContain('verraten wir nie');
      expect(res.text).toContain('<input type="hidden" name="lang" value="de"/>');
      expect(res.text).toMatch(/<a href="\/forget-me\?lang=en" hreflang="en" lang="en">English<\/a>/);
    }
  });

  it('speaks Polish with ?lang=pl or Accept-Language: pl, and every language offers the other two', async () => {
    for (const res of [await request(app).get('/forget-me?lang=pl'), await request(app).get('/forget-me').set('Accept-Language', 'pl-PL,pl;q=0.9,en;q=0.5')]) {
      expect(res.status).toBe(200);
      expect(res.text).toContain('<html lang="pl">');
      expect(res.text).toContain('<h1>Pana/Pani dane: kopia, bez nagrywania, usunięcie</h1>');
      expect(res.text).toContain('Nigdy nie ujawniamy');
      expect(res.text).toContain('<input type="hidden" name="lang" value="pl"/>');
      expect(res.text).toContain('<a href="/forget-me?lang=en" hreflang="en" lang="en">English</a>');
      expect(res.text).toContain('<a href="/forget-me?lang=de" hreflang="de" lang="de">Deutsch</a>');
      expect(res.text).toContain('Operator usługi');
    }
    for (const lang of ['en', 'de']) {
      const res = await request(app).get(`/forget-me?lang=${lang}`);
      expect(res.text).toContain('<a href="/forget-me?lang=pl" hreflang="pl" lang="pl">Polski</a>');
    }
  });

  it('names who runs the service and the privacy contact, escaped, on every page and in every language', async () => {
    const pages = [
      await request(app).get('/forget-me'),
      await request(app).get('/forget-me?lang=de'),
      await request(app).get('/forget-me?lang=pl'),
      await request(app).get('/forget-me/confirm?token=not-a-token&lang=pl'),
    ];
    for (const res of pages) {
      // Preact escapes < and & (and " in attributes); a > alone opens nothing.
      expect(res.text).toContain('<strong id="operator-name">Voice &lt;Agents> &amp; Co. GmbH</strong>');
      expect(res.text).not.toContain('<Agents>');
      expect(res.text).toContain('<a id="privacy-contact" href="mailto:privacy-desk@voice.example.test">privacy-desk@voice.example.test</a>');
    }
    expect(pages[0]!.text).toContain('This service is run by');
    expect(pages[1]!.text).toContain('Betreiber dieses Dienstes');
    expect(pages[3]!.status).toBe(400);
    expect(pages[3]!.text).toContain('Ten link jest nieprawidłowy');
  });
});

describe('by e-mail: a signed, single-use, 24-hour link', () => {
  it('files a request, e-mails a link that confirms it once, and the link carries no personal data', async () => {
    const email = uniqueEmail('flow');
    const res = await postForm(newIp(), { email, lang: 'en' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('Check your inbox');
    const [filed] = await requestFor('email', email);
    expect(filed).toMatchObject({ status: 'pending_confirmation', source: 'public', contact_email: email });

    const mail = await mailTo(email);
    expect(mail.subject).toBe('Please confirm your erasure request');
    expect(mail.text).toContain('24 hours');
    const link = linkIn(mail);
    const token = tokenOf(link);
    const [version, payload, signature] = token.split('.');
    expect(version).toBe('fm1');
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    expect(Object.keys(claims).sort()).toEqual(['exp', 'rid', 'sub']);
    expect(claims).toMatchObject({ rid: filed!.id, sub: 'email' });
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(24 * 3600 - 120);
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(24 * 3600);
    expect(token).not.toContain(email.split('@')[0]!);

    // Opening the link only shows the button.
    const opened = await request(app).get(link).set('Accept', 'text/html');
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('Confirm your erasure request');
    expect(opened.text).toContain('<form method="post" action="/forget-me/confirm"');
    expect(opened.text).toContain(`<input type="hidden" name="token" value="${token}"/>`);
    expect((await requestFor('email', email))[0]!.status).toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(0);

    const pressed = await pressConfirm(token, 'en');
    expect(pressed.status).toBe(200);
    expect(pressed.text).toContain('Your request is confirmed');
    expect(pressed.text).toContain(filed!.id);
    const [after] = await requestFor('email', email);
    expect(after!.status).not.toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(1);

    const again = await pressConfirm(token, 'en');
    expect(again.status).toBe(410);
    expect(again.text).toContain('This link has already been used');
    const reopened = await request(app).get(link).set('Accept', 'text/html');
    expect(reopened.status).toBe(410);
    expect(reopened.text).toContain('This link has already been used');
    expect(reopened.text).not.toContain('<form method="post" action="/forget-me/confirm"');
    const [still] = await requestFor('email', email);
    expect(still!.status).toBe(after!.status);
  });

  it('opening the link (GET or HEAD, again and again, as mail scanners do) erases nothing', async () => {
    const known = await seedKnownPerson(uniqueEmail('scanned'));
    await postJson(newIp(), { email: known.email });
    const link = linkIn(await mailTo(known.email));
    for (const accept of ['text/html', 'application/json', '*/*']) {
      expect((await request(app).get(link).set('Accept', accept)).status, accept).toBe(200);
      const head = await request(app).head(link).set('Accept', accept);
      expect(head.status, accept).toBe(200);
      expect(head.text ?? '').toBe('');
    }
    const [filed] = await requestFor('email', known.email);
    expect(filed!.status).toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(0);
    expect(await db`select 1 from public.leads where email_hash = ${keyedHash(config.blindIndexKey, 'email', known.email)}`).toHaveLength(1);

    // Only the button erases.
    expect((await pressConfirm(tokenOf(link))).status).toBe(200);
    expect(await db`select 1 from public.leads where email_hash = ${keyedHash(config.blindIndexKey, 'email', known.email)}`).toHaveLength(0);
  });

  it('pressing the button twice at once confirms once: one 200, one 410, one erasure', async () => {
    const known = await seedKnownPerson(uniqueEmail('twice'));
    await postJson(newIp(), { email: known.email });
    const token = tokenOf(linkIn(await mailTo(known.email)));
    const answers = await Promise.all([postConfirmJson({ token }), postConfirmJson({ token }), postConfirmJson({ token })]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 410, 410]);
    expect(answers.filter((r) => r.status === 410).every((r) => r.body.error.code === 'link_used')).toBe(true);
    const [filed] = await requestFor('email', known.email);
    const executed = await db`select 1 from public.audit_logs where action = 'erasure.executed' and target_id = ${filed!.id} and org_id = ${known.orgId}`;
    expect(executed).toHaveLength(1);
  });

  it('the confirmation page: labelled button, no script, not stored, no Referer, the token escaped in the form', async () => {
    const email = uniqueEmail('page');
    await postJson(newIp(), { email });
    const link = linkIn(await mailTo(email));
    const token = tokenOf(link);
    const res = await request(app).get(link);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).not.toContain('<script');
    expect(res.text).toContain('<h1 id="confirm-title">Confirm your erasure request</h1>');
    expect(res.text).toContain('aria-labelledby="confirm-title" aria-describedby="confirm-warning"');
    expect(res.text).toContain('<p class="alert" id="confirm-warning"><strong>This cannot be undone.</strong></p>');
    expect(res.text).toContain('<button type="submit">Erase my data now</button>');
    expect(res.text).toContain('<input type="hidden" name="lang" value="en"/>');
    expect(res.text).toContain('Did not ask for this? Just close this page');
    // Switching language keeps the link (and so the token) on our own origin.
    expect(res.text).toContain(`<a href="/forget-me/confirm?token=${token}&amp;lang=de" hreflang="de" lang="de">Deutsch</a>`);
    const german = await request(app).get(`/forget-me/confirm?token=${token}&lang=de`);
    expect(german.text).toContain('<html lang="de">');
    expect(german.text).toContain('Bitte bestätigen Sie Ihren Löschantrag');
    expect(german.text).toContain('<button type="submit">Meine Daten jetzt löschen</button>');
    expect(german.text).toContain('Das lässt sich nicht rückgängig machen.');
    const byHeader = await request(app).get(`/forget-me/confirm?token=${token}`).set('Accept-Language', 'de-DE,de;q=0.9');
    expect(byHeader.text).toContain('<html lang="de">');
  });

  it('checks Origin: our own page, no Origin, or null from our own page confirm; another origin gets a clear 403', async () => {
    const email = uniqueEmail('origin');
    await postJson(newIp(), { email });
    const token = tokenOf(linkIn(await mailTo(email)));
    const [filed] = await requestFor('email', email);
    const post = (headers: Record<string, string>, accept = 'text/html', lang = 'en') => {
      const r = request(app).post('/forget-me/confirm').set('X-Forwarded-For', newIp()).set('Accept', accept);
      for (const [k, v] of Object.entries(headers)) r.set(k, v);
      return r.type('form').send({ token, lang });
    };
    const foreign: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: 'http://voice.example.test' },
      { Origin: 'https://voice.example.test.evil.example' },
      { Origin: 'https://voice.example.test:8443' },
      { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null', 'Sec-Fetch-Site': 'same-site' },
      { Origin: 'null' },
    ];
    for (const headers of foreign) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.text).toContain('This confirmation came from another website');
      expect(res.text).toContain('role="alert"');
    }
    const german = await post({ Origin: 'https://evil.example' }, 'text/html', 'de');
    expect(german.status).toBe(403);
    expect(german.text).toContain('Diese Bestätigung kam von einer anderen Website');
    const json = await post({ Origin: 'https://evil.example' }, 'application/json');
    expect(json.status).toBe(403);
    expect(json.body.error.code).toBe('origin_refused');
    expect(json.body.request_id).toEqual(expect.any(String));
    expect((await requestFor('email', email))[0]!.status).toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(0);

    // An opaque origin that Fetch Metadata places on our own origin is accepted.
    const ok = await post({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Your request is confirmed');

    // Our origin, and no Origin at all (not a browser), are accepted too.
    for (const headers of [{ Origin: 'https://voice.example.test' }, {}]) {
      const other = uniqueEmail('origin');
      await postJson(newIp(), { email: other });
      const t = tokenOf(linkIn(await mailTo(other)));
      const r = request(app).post('/forget-me/confirm').set('X-Forwarded-For', newIp()).set('Accept', 'application/json');
      for (const [k, v] of Object.entries(headers)) r.set(k, v);
      const res = await r.send({ token: t });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.body.status).toBe('confirmed');
    }
  });

  it('in German: German e-mail, link and confirmation page', async () => {
    const email = uniqueEmail('de');
    const res = await postForm(newIp(), { email, lang: 'de' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('<html lang="de">');
    expect(res.text).toContain('Bitte sehen Sie in Ihr Postfach');
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Bitte bestätigen Sie Ihren Löschantrag');
    expect(mail.text).toContain('24 Stunden');
    expect(mail.text).toContain('drücken auf der Seite die Schaltfläche');
    const link = linkIn(mail);
    expect(link).toMatch(/&lang=de$/);
    const opened = await request(app).get(link);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('<html lang="de">');
    expect(opened.text).toContain('Meine Daten jetzt löschen');
    const pressed = await pressConfirm(tokenOf(link), 'de');
    expect(pressed.status).toBe(200);
    expect(pressed.text).toContain('Ihr Antrag ist bestätigt');
  });

  it('in Polish: Polish e-mail, link and confirmation page', async () => {
    const email = uniqueEmail('pl');
    const res = await postForm(newIp(), { email, lang: 'pl' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('<html lang="pl">');
    expect(res.text).toContain('Prosimy sprawdzić skrzynkę odbiorczą');
    const mail = await mailTo(email);
    expect(mail.subject).toBe('Prosimy potwierdzić wniosek o usunięcie danych');
    expect(mail.text).toContain('Dzień dobry');
    expect(mail.text).toContain('24 godziny');
    const link = linkIn(mail);
    expect(link).toMatch(/&lang=pl$/);
    const opened = await request(app).get(link);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('<html lang="pl">');
    expect(opened.text).toContain('Usuń teraz moje dane');
    expect(opened.text).toContain(`<a href="/forget-me/confirm?token=${tokenOf(link)}&amp;lang=de" hreflang="de" lang="de">Deutsch</a>`);
    const pressed = await pressConfirm(tokenOf(link), 'pl');
    expect(pressed.status).toBe(200);
    expect(pressed.text).toContain('Wniosek został potwierdzony');
  });

  it('JSON clients get JSON: 202 receipt, then the confirmation, then 410 for reuse', async () => {
    const email = uniqueEmail('json');
    const res = await postJson(newIp(), { email });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'confirmation_sent', channel: 'email', expires_in_seconds: 86_400 });
    const link = linkIn(await mailTo(email));
    const opened = await request(app).get(link).set('Accept', 'application/json');
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({
      status: 'awaiting_confirmation',
      request_type: 'erasure',
      expires_at: expect.any(String),
      confirm: { method: 'POST', path: '/forget-me/confirm', fields: ['token'] },
    });
    const confirmed = await postConfirmJson({ token: tokenOf(link) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', request: { id: expect.any(String), due_at: expect.any(String) } });
    const again = await postConfirmJson({ token: tokenOf(link) });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('link_used');
    const reopened = await request(app).get(link).set('Accept', 'application/json');
    expect(reopened.status).toBe(410);
    expect(reopened.body.error.code).toBe('link_used');
  });

  it('a tampered link is refused with 400 and changes nothing', async () => {
    const email = uniqueEmail('tamper');
    await postForm(newIp(), { email });
    const link = linkIn(await mailTo(email));
    const token = tokenOf(link);
    const [version, payload, signature] = token.split('.') as [string, string, string];
    const otherId = randomUUID();
    const forgedPayload = Buffer.from(JSON.stringify({ rid: otherId, sub: 'email', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    const variants = [
      `${version}.${payload}.${flipped}`,
      `${version}.${forgedPayload}.${signature}`,
      `fm2.${payload}.${signature}`,
      `${version}.${payload}`,
      'not-a-token',
      `${token}x`,
    ];
    for (const bad of variants) {
      const res = await request(app).get(`/forget-me/confirm?token=${encodeURIComponent(bad)}`).set('Accept', 'text/html');
      expect(res.status, bad).toBe(400);
      expect(res.text).toContain('This link is not valid');
      const pressed = await pressConfirm(bad);
      expect(pressed.status, bad).toBe(400);
      expect(pressed.text).toContain('This link is not valid');
      const json = await postConfirmJson({ token: bad });
      expect(json.status, bad).toBe(400);
      expect(json.body.error.code).toBe('link_invalid');
    }
    expect((await request(app).get('/forget-me/confirm')).status).toBe(400);
    const [filed] = await requestFor('email', email);
    expect(filed!.status).toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(0);
    expect(await nonceFor(otherId)).toHaveLength(0);

    // The genuine link still works afterwards.
    expect((await request(app).get(link)).status).toBe(200);
    expect((await pressConfirm(token)).status).toBe(200);
  });

  it('an expired link (signed 25 hours ago) is refused with 410 and changes nothing', async () => {
    const past = createForgetMeService({
      erasure: deps.erasure,
      serviceDb: db,
      mailer: deps.mailer,
      telephony: deps.telephony,
      secret: config.forgetMeSecret,
      operator: config.operator,
      publicBaseUrl: config.publicBaseUrl,
      now: () => new Date(Date.now() - 25 * 3600 * 1000),
    });
    const email = uniqueEmail('expired');
    await past.request({ subject: { type: 'email', value: email }, contactEmail: null, lang: 'en' });
    const link = linkIn(await mailTo(email));
    const res = await request(app).get(link).set('Accept', 'text/html');
    expect(res.status).toBe(410);
    expect(res.text).toContain('This link has expired');
    const json = await request(app).get(link).set('Accept', 'application/json');
    expect(json.status).toBe(410);
    expect(json.body.error.code).toBe('link_expired');
    const pressed = await pressConfirm(tokenOf(link));
    expect(pressed.status).toBe(410);
    expect(pressed.text).toContain('This link has expired');
    const [filed] = await requestFor('email', email);
    expect(filed!.status).toBe('pending_confirmation');
    expect(await nonceFor(filed!.id)).toHaveLength(0);
  });
});

describe('by phone: a 6-digit SMS code, five tries', () => {
  const smsTo = (phone: string) => twilioFake.messages.filter((m) => m.to === phone);
  const codeIn = (body: string) => /\b(\d{6})\b/.exec(body)![1]!;
  const verify = (ip: string, body: Record<string, string>, accept = 'text/html') =>
    request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).set('Accept', accept).type('form').send(body);

  it('texts a code through Twilio, refuses a wrong one, and the right one confirms once', async () => {
    const phone = uniquePhone();
    const contact = uniqueEmail('notice');
    const ip = newIp();
    const res = await postForm(ip, { phone: `${phone.slice(0, 3)} ${phone.slice(3, 5)} ${phone.slice(5)}`, contact_email: contact, lang: 'en' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('Enter the code from the SMS');
    expect(res.text).toContain('<form method="post" action="/forget-me/verify">');
    const requestId = /name="request_id" value="([0-9a-f-]{36})"/.exec(res.text)![1]!;

    const [sms] = smsTo(phone);
    expect(sms).toMatchObject({ from: SMS_FROM });
    const code = codeIn(sms!.body);
    expect(sms!.body).toContain('15 minutes');
    const [filed] = await requestFor('phone', phone);
    expect(filed).toMatchObject({ id: requestId, status: 'pending_confirmation', contact_email: contact });
    const [stored] = await db<{ code_hash: Buffer; attempts: number }[]>`select code_hash, attempts from app.forget_me_codes where request_id = ${requestId}`;
    expect(stored!.code_hash).toHaveLength(32);
    expect(stored!.code_hash.toString('latin1')).not.toContain(code);

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused = await verify(ip, { request_id: requestId, code: wrong, lang: 'en' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('4 tries left');
    expect((await requestFor('phone', phone))[0]!.status).toBe('pending_confirmation');

    const ok = await verify(ip, { request_id: requestId, code: `${code.slice(0, 3)} ${code.slice(3)}`, lang: 'en' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Your request is confirmed');
    expect((await requestFor('phone', phone))[0]!.status).not.toBe('pending_confirmation');

    const reused = await verify(ip, { request_id: requestId, code, lang: 'en' }, 'application/json');
    expect(reused.status).toBe(410);
    expect(reused.body.error.code).toBe('code_used');
  });

  it('the German page sends a German SMS', async () => {
    const phone = uniquePhone();
    const res = await postForm(newIp(), { phone, lang: 'de' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('Bitte geben Sie den Code aus der SMS ein');
    expect(smsTo(phone)[0]!.body).toContain('Ihr Code zur Bestätigung des Löschantrags');
  });

  it('the Polish page sends a Polish SMS', async () => {
    const phone = uniquePhone();
    const res = await postForm(newIp(), { phone, lang: 'pl' });
    expect(res.status).toBe(202);
    expect(res.text).toContain('Prosimy wpisać kod z SMS-a');
    expect(smsTo(phone)[0]!.body).toContain('Kod potwierdzający wniosek o usunięcie danych');
  });

  it('five wrong codes burn the code: the right one no longer works and nothing changes', async () => {
    const phone = uniquePhone();
    const ip = newIp();
    const res = await postJson(ip, { phone });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'code_sent', channel: 'sms', request_id: expect.any(String), expires_in_seconds: 900, attempts_allowed: 5 });
    const requestId = res.body.request_id as string;
    const code = codeIn(smsTo(phone)[0]!.body);
    const wrong = String((Number(code) + 7) % 1_000_000).padStart(6, '0');
    const statuses: number[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const r = await request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).send({ request_id: requestId, code: wrong });
      statuses.push(r.status);
      codes.push(r.body.error.code);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 410]);
    expect(codes).toEqual(['code_incorrect', 'code_incorrect', 'code_incorrect', 'code_incorrect', 'code_exhausted']);
    const right = await request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).send({ request_id: requestId, code });
    expect(right.status).toBe(410);
    expect(right.body.error.code).toBe('code_exhausted');
    expect((await requestFor('phone', phone))[0]!.status).toBe('pending_confirmation');
  });

  it('concurrent guesses cannot spend more than five tries', async () => {
    const phone = uniquePhone();
    const ip = newIp();
    const res = await postJson(ip, { phone });
    const requestId = res.body.request_id as string;
    const code = codeIn(smsTo(phone)[0]!.body);
    const wrong = String((Number(code) + 3) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).send({ request_id: requestId, code: wrong })),
    );
    expect(answers.filter((r) => r.body.error?.code === 'code_incorrect')).toHaveLength(4);
    expect(answers.every((r) => r.status === 400 || r.status === 410)).toBe(true);
    const [row] = await db`select attempts from app.forget_me_codes where request_id = ${requestId}`;
    expect(row!.attempts).toBe(5);
  });

  it('an expired code is refused with 410 and changes nothing', async () => {
    const past = createForgetMeService({
      erasure: deps.erasure,
      serviceDb: db,
      mailer: deps.mailer,
      telephony: deps.telephony,
      secret: config.forgetMeSecret,
      operator: config.operator,
      publicBaseUrl: config.publicBaseUrl,
      now: () => new Date(Date.now() - 16 * 60 * 1000),
    });
    const phone = uniquePhone();
    const receipt = await past.request({ subject: { type: 'phone', value: phone }, contactEmail: null, lang: 'en' });
    expect(receipt.channel).toBe('sms');
    const requestId = receipt.channel === 'sms' ? receipt.request_id : '';
    const code = codeIn(smsTo(phone)[0]!.body);
    const res = await verify(newIp(), { request_id: requestId, code });
    expect(res.status).toBe(410);
    expect(res.text).toContain('This code has expired');
    expect((await requestFor('phone', phone))[0]!.status).toBe('pending_confirmation');
  });
});

describe('the answer never tells whether we hold data on the person', () => {
  it('the same status and body for a known and an unknown e-mail address, as a page and as JSON', async () => {
    const known = await seedKnownPerson(uniqueEmail('known'));
    const unknown = uniqueEmail('unknown');
    const ip = newIp();
    const [a, b] = [await postForm(ip, { email: known.email }), await postForm(ip, { email: unknown })];
    expect(a.status).toBe(202);
    expect(b.status).toBe(a.status);
    expect(b.text).toBe(a.text);
    expect(b.headers['content-type']).toBe(a.headers['content-type']);
    const known2 = await seedKnownPerson(uniqueEmail('known'));
    const [c, d] = [await postJson(ip, { email: known2.email }), await postJson(ip, { email: uniqueEmail('unknown') })];
    expect(c.status).toBe(202);
    expect(d.status).toBe(c.status);
    expect(d.body).toEqual(c.body);
    // Both got their e-mail.
    await mailTo(known.email);
    await mailTo(unknown);
  });

  it('the same status and body shape for a known and an unknown phone number', async () => {
    const known = await seedKnownPerson(uniqueEmail('knownphone'));
    const ip = newIp();
    const a = await postJson(ip, { phone: known.phone });
    const b = await postJson(ip, { phone: uniquePhone() });
    expect(a.status).toBe(202);
    expect(b.status).toBe(a.status);
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: typeof body.request_id === 'string' && body.request_id.length === 36 });
    expect(strip(b.body)).toEqual(strip(a.body));
    const pa = await postForm(ip, { phone: (await seedKnownPerson(uniqueEmail('knownphone'))).phone });
    const pb = await postForm(ip, { phone: uniquePhone() });
    expect(pb.status).toBe(pa.status);
    const page = (t: string) => t.replace(/value="[0-9a-f-]{36}"/, 'value="ID"');
    expect(page(pb.text)).toBe(page(pa.text));
  });

  it('known and unknown people take the same time (medians within 20%)', async () => {
    const rounds = 4;
    const known = await Promise.all(Array.from({ length: rounds }, () => seedKnownPerson(uniqueEmail('timing'))));
    const ip = newIp();
    const timesKnown: number[] = [];
    const timesUnknown: number[] = [];
    const timed = async (email: string) => {
      const t0 = performance.now();
      const res = await postJson(ip, { email });
      expect(res.status).toBe(202);
      return performance.now() - t0;
    };
    // Interleaved, so any drift of the machine hits both sides alike.
    for (let i = 0; i < rounds; i += 1) {
      timesKnown.push(await timed(known[i]!.email));
      timesUnknown.push(await timed(uniqueEmail('timing-unknown')));
    }
    const ratio = median(timesKnown) / median(timesUnknown);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});

describe('rate limits', () => {
  it('per e-mail address or number: the sixth request in a day gets 429, whatever the client address', async () => {
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_FORGET_ME_SETTINGS.perIdentifierLimit; i += 1) statuses.push((await postJson(newIp(), { email: email.toUpperCase() })).status);
    expect(statuses).toEqual(Array(DEFAULT_FORGET_ME_SETTINGS.perIdentifierLimit).fill(202));
    const json = await postJson(newIp(), { email });
    expect(json.status).toBe(429);
    expect(json.body.error.code).toBe('rate_limited');
    const page = await postForm(newIp(), { email, lang: 'de' });
    expect(page.status).toBe(429);
    expect(page.text).toContain('Zu viele Anfragen');
    expect(await requestFor('email', email)).toHaveLength(DEFAULT_FORGET_ME_SETTINGS.perIdentifierLimit);

    const phone = uniquePhone();
    for (let i = 0; i < DEFAULT_FORGET_ME_SETTINGS.perIdentifierLimit; i += 1) expect((await postJson(newIp(), { phone })).status).toBe(202);
    expect((await postJson(newIp(), { phone })).status).toBe(429);
    const [bucket] = await db`select count(*)::int as n from app.forget_me_limits where bucket = ${keyedHash(config.blindIndexKey, 'phone', phone)}`;
    expect(bucket!.n).toBe(0); // buckets are keyed under FORGET_ME_SECRET, not the blind index
  });

  it('per client address: the eleventh request within 15 minutes gets 429', async () => {
    const ip = newIp();
    const limit = DEFAULT_FORGET_ME_SETTINGS.perIpLimit;
    const answers = await Promise.all(Array.from({ length: limit }, () => postJson(ip, { email: uniqueEmail('ip') })));
    expect(answers.map((r) => r.status)).toEqual(Array(limit).fill(202));
    const over = await postJson(ip, { email: uniqueEmail('ip') });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('rate_limited');
    const page = await postForm(ip, { email: uniqueEmail('ip') });
    expect(page.status).toBe(429);
    expect(page.text).toContain('Too many requests');
    const german = await postForm(ip, { email: uniqueEmail('ip'), lang: 'de' });
    expect(german.status).toBe(429);
    expect(german.text).toContain('Zu viele Anfragen');
    // Another client is not affected.
    expect((await postJson(newIp(), { email: uniqueEmail('ip') })).status).toBe(202);
  });
});

describe('bad input: 400, never 500', () => {
  it('refuses malformed requests with a clear JSON error', async () => {
    const cases: [string, unknown][] = [
      ['empty', {}],
      ['not an address', { email: 'not-an-email' }],
      ['both', { email: 'a@example.test', phone: '+493012345678' }],
      ['wrong type', { email: 123 }],
      ['array', { email: ['a@example.test'] }],
      ['too long', { email: `${'x'.repeat(300)}@example.test` }],
      ['notice address without a phone', { email: 'a@example.test', contact_email: 'b@example.test' }],
      ['bad notice address', { phone: '+493012345678', contact_email: 'nope' }],
      ['unknown field', { email: 'a@example.test', admin: true }],
      ['bad language', { email: 'a@example.test', lang: 'fr' }],
      ['a list', [{ email: 'a@example.test' }]],
    ];
    for (const [label, body] of cases) {
      const res = await postJson(newIp(), body);
      expect(res.status, label).toBe(400);
      expect(res.body.error.code, label).toBe('validation_failed');
      expect(res.body.error.message, label).toMatch(/^Invalid body/);
    }
    // Phone numbers are read with libphonenumber-js: one that cannot be read is `invalid_phone`.
    for (const [label, phone, reason] of [
      ['not a number', 'call me maybe', 'invalid'],
      ['too short a number', '+49 30', 'invalid'],
      ['national format: no country to read it in', '0151 23456789', 'needs_country'],
    ] as const) {
      const res = await postJson(newIp(), { phone });
      expect(res.status, label).toBe(400);
      expect(res.body.error, label).toMatchObject({ code: 'invalid_phone', details: { field: 'phone', reason } });
      expect(res.body.error.message, label).toMatch(/with its country code/);
    }
    const malformed = await request(app).post('/forget-me').set('X-Forwarded-For', newIp()).set('content-type', 'application/json').send('{"email":');
    expect(malformed.status).toBe(400);
    const huge = await postJson(newIp(), { email: 'a@example.test', pad: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    const repeated = await request(app).post('/forget-me').set('X-Forwarded-For', newIp()).type('form').send('email=a%40example.test&email=b%40example.test');
    expect(repeated.status).toBe(400);
  });

  it('shows the form again with the problem named, the value kept and escaped', async () => {
    const res = await postForm(newIp(), { email: '"><script>alert(1)</script>', lang: 'en' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('role="alert"');
    expect(res.text).toContain('Please enter a valid e-mail address.');
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toContain('value="&quot;>&lt;script>alert(1)&lt;/script>"');
    expect(res.text).not.toContain('<script>alert(1)');
    const neither = await postForm(newIp(), { email: '', phone: '', contact_email: '' });
    expect(neither.status).toBe(400);
    expect(neither.text).toContain('Please give either an e-mail address or a phone number.');
  });

  it('refuses malformed codes, ids and tokens', async () => {
    const ip = newIp();
    const verifyCases: unknown[] = [{}, { request_id: 'nope', code: '123456' }, { request_id: randomUUID(), code: '12' }, { request_id: randomUUID(), code: 'abcdef' }, { request_id: randomUUID(), code: 123456 }];
    for (const body of verifyCases) {
      const res = await request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const unknown = await request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).send({ request_id: randomUUID(), code: '123456' });
    expect(unknown.status).toBe(410);
    const page = await request(app).post('/forget-me/verify').set('X-Forwarded-For', ip).set('Accept', 'text/html').type('form').send({ request_id: randomUUID(), code: '12' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('Please enter the 6 digits from the SMS.');
    for (const q of ['token=', 'token=a&token=b', `token=${'x'.repeat(5000)}`, 'token[a]=b', `token=fm1.${'%00'.repeat(10)}.x`]) {
      const res = await request(app).get(`/forget-me/confirm?${q}`);
      expect(res.status, q).toBe(400);
      const posted = await request(app).post('/forget-me/confirm').set('X-Forwarded-For', ip).type('form').send(q);
      expect(posted.status, q).toBe(400);
    }
    for (const body of [{}, { token: 123 }, { token: ['a'] }, { token: 'fm1.a.b', admin: true }, [{ token: 'fm1.a.b' }]]) {
      const res = await postConfirmJson(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('link_invalid');
    }
    const malformed = await request(app).post('/forget-me/confirm').set('X-Forwarded-For', ip).set('content-type', 'application/json').send('{"token":');
    expect(malformed.status).toBe(400);
  });
});
