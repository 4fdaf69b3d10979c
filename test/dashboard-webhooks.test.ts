import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { FORM_SUBMISSION_HOURS } from '../src/webhooks/webhook-delivery.js';
import { pruneFormSubmissions } from '../src/webhooks/webhooks-repo.js';
import { MAX_ENDPOINTS_PER_ORG } from '../src/webhooks/webhooks-service.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
// Production's rules for endpoint addresses (local mode lets them be on private networks).
const config = testConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'false' });
const SECRET = /whsec_[A-Za-z0-9+/=]{32,}/;

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
});
afterAll(async () => {
  // The embedded database is shared by the run's files: leave no endpoint behind.
  await db`delete from public.webhook_endpoints where org_id in (${org.id}, ${other.id})`;
  await db.end();
});

const webhooksPath = (o: TestOrg = org) => `/app/orgs/${o.id}/webhooks`;

/** The page's CSRF token, its registration form's one-time id, and the cookies a browser holding it would send. */
async function openForm(user: TestUser, path = webhooksPath()): Promise<{ token: string; cookie: string; html: string; formId?: string }> {
  const cookie = `session=${user.token}`;
  const res = await request(app).get(path).set('Cookie', cookie);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  const formId = formIdIn(res.text);
  return { token, cookie: `${cookie}; ${csrf}`, html: res.text, ...(formId ? { formId } : {}) };
}

/** The registration form's one-time id in a page, if it has the form. */
const formIdIn = (html: string) => /name="form_id" value="([^"]+)"/.exec(html)?.[1];

/** A form post as the browser sends it: the CSRF token and the form's id (when the page had them), then the fields. */
const post = (form: { token?: string; cookie: string; formId?: string }, body: Record<string, string | string[]>, path = webhooksPath()) =>
  request(app)
    .post(path)
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...(form.formId ? { form_id: form.formId } : {}), ...body });

async function endpoints(o: TestOrg = org) {
  return db<{ id: string; url: string; events: string[]; secret: string }[]>`select id, url, events, secret from public.webhook_endpoints where org_id = ${o.id} order by created_at`;
}

describe('dashboard webhooks page', () => {
  it('registers an endpoint and shows its secret once, in the answer to the POST itself; no later page shows it', async () => {
    const form = await openForm(org.owner);
    expect(form.html).toContain(`action="${webhooksPath()}"`);
    expect(form.html).toContain('No endpoint is registered yet.');
    expect(form.html).not.toMatch(/<script|<style| style=/);
    const res = await post(form, { url: 'https://hooks.example.test/voice', events: ['call.completed', 'incident.opened'], description: 'CRM' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.location).toBeUndefined();
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join()).not.toMatch(SECRET);
    const [stored] = await endpoints();
    expect(stored).toMatchObject({ url: 'https://hooks.example.test/voice', events: ['call.completed', 'incident.opened'] });
    const shown = SECRET.exec(res.text)?.[0];
    expect(shown).toBe(stored!.secret);
    expect(res.text).toContain('it is shown this once');
    expect(res.text).toContain('https://hooks.example.test/voice');

    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'webhook_endpoint.created' and target_id = ${stored!.id}`;
    expect(audit?.actor_id).toBe(org.owner.id);

    // Every later page, and the API, never again.
    for (const user of [org.owner, org.admin]) {
      const again = await request(app).get(webhooksPath()).set('Cookie', `session=${user.token}`);
      expect(again.status).toBe(200);
      expect(again.text).toContain('https://hooks.example.test/voice');
      expect(again.text).not.toMatch(SECRET);
      expect(again.text).not.toContain(stored!.secret);
    }
    const api = await request(app).get(`/api/orgs/${org.id}/webhooks`).set(...bearer(org.owner));
    expect(JSON.stringify(api.body)).not.toMatch(SECRET);
  });

  it('lists each endpoint’s recent deliveries with the event, the state in words, the attempts and the time', async () => {
    const [endpoint] = await endpoints();
    // The pending one is due tomorrow, so no delivery job run by another test file sends it.
    await db`insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload, status, attempts, last_status, delivered_at, next_attempt_at)
             values (${org.id}, ${endpoint!.id}, ${randomUUID()}, 'call.completed', '{}', 'delivered', 1, 204, now(), now()),
                    (${org.id}, ${endpoint!.id}, ${randomUUID()}, 'incident.opened', '{}', 'failed', 8, 500, null, now()),
                    (${org.id}, ${endpoint!.id}, ${randomUUID()}, 'erasure.completed', '{}', 'pending', 2, null, null, now() + interval '1 day')`;
    const res = await request(app).get(webhooksPath()).set('Cookie', `session=${org.admin.token}`);
    expect(res.text).toContain('A call ended (call.completed)');
    expect(res.text).toContain('<td>Delivered</td>');
    expect(res.text).toContain('<td>Failed: given up after the last retry</td>');
    expect(res.text).toContain('HTTP 204');
    expect(res.text).toContain('<td>8</td>');
    expect(res.text).toContain('<td>Waiting to be sent (or retried)</td>');
    expect(res.text).toContain('the connection failed or timed out');
    expect(res.text).toMatch(/<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC<\/td>/);
  });

  it('refuses a private or malformed address, and no event, with the form again and what was typed', async () => {
    const before = await endpoints();
    const form = await openForm(org.admin);
    for (const url of ['https://10.0.0.7/hook', 'http://hooks.example.test/x', 'https://user:pw@hooks.example.test/', 'https://localhost/x']) {
      const res = await post(form, { url, events: 'erasure.completed', description: 'typed text' });
      expect(res.status, url).toBe(400);
      expect(res.text).toContain('role="alert"');
      expect(res.text).toContain('this address cannot receive webhooks');
      expect(res.text).toContain(`value="${url}"`);
      expect(res.text).toMatch(/value="erasure.completed" checked/);
      expect(res.text).toContain('value="typed text"');
      expect(res.text).not.toMatch(SECRET);
    }
    const none = await post(form, { url: 'https://hooks.example.test/other' });
    expect(none.status).toBe(400);
    expect(none.text).toContain('choose at least one event');
    expect(none.text).toContain('value="https://hooks.example.test/other"');
    const empty = await post(form, { url: '', events: 'call.completed' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('enter the endpoint’s address');
    expect(empty.text).toMatch(/value="call.completed" checked/);
    expect(await endpoints()).toEqual(before);
  });

  it('says so when the organisation has as many endpoints as it may, and keeps what was typed', async () => {
    const form = await openForm(other.admin, webhooksPath(other));
    const have = (await endpoints(other)).length;
    for (let i = have; i < MAX_ENDPOINTS_PER_ORG; i += 1) {
      const res = await request(app).post(`/api/orgs/${other.id}/webhooks`).set(...bearer(other.owner)).send({ url: `https://hooks.example.test/cap-${i}`, events: ['call.completed'] });
      expect(res.status).toBe(201);
    }
    const res = await post(form, { url: 'https://hooks.example.test/one-too-many', events: 'call.completed' }, webhooksPath(other));
    expect(res.status).toBe(400);
    expect(res.text).toContain(`at most ${MAX_ENDPOINTS_PER_ORG} endpoints`);
    expect(res.text).toContain('value="https://hooks.example.test/one-too-many"');
    expect(res.text).not.toMatch(SECRET);
    expect(await endpoints(other)).toHaveLength(MAX_ENDPOINTS_PER_ORG);
    await db`delete from public.webhook_endpoints where org_id = ${other.id}`;
  });

  it('deletes an endpoint through the service (audited), 303 back with a notice', async () => {
    const form = await openForm(org.owner);
    const created = await post(form, { url: 'https://hooks.example.test/to-delete', events: 'call.completed' });
    expect(created.status).toBe(201);
    const target = (await endpoints()).find((e) => e.url === 'https://hooks.example.test/to-delete')!;
    expect(created.text).toContain(`action="${webhooksPath()}/${target.id}/delete"`);
    const res = await post(form, {}, `${webhooksPath()}/${target.id}/delete`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${webhooksPath()}?deleted=1`);
    expect((await endpoints()).map((e) => e.id)).not.toContain(target.id);
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'webhook_endpoint.deleted' and target_id = ${target.id}`;
    expect(audit?.actor_id).toBe(org.owner.id);
    const after = await request(app).get(`${webhooksPath()}?deleted=1`).set('Cookie', `session=${org.owner.token}`);
    expect(after.text).toContain('The endpoint is deleted');
    // Again: it is gone.
    expect((await post(form, {}, `${webhooksPath()}/${target.id}/delete`)).status).toBe(404);
  });

  it('registers once per form: the same form again (a reload) registers nothing and never shows the secret again; a new form registers', async () => {
    const before = (await endpoints()).length;
    const form = await openForm(org.owner);
    expect(form.formId).toMatch(/^[0-9a-f-]{36}$/);
    const url = 'https://hooks.example.test/reloaded';
    const first = await post(form, { url, events: 'call.completed' });
    expect(first.status).toBe(201);
    const secret = SECRET.exec(first.text)![0];
    const [stored] = (await endpoints()).filter((e) => e.url === url);
    expect(secret).toBe(stored!.secret);
    const [recorded] = await db`select endpoint_id from app.webhook_form_submissions where org_id = ${org.id} and form_id = ${form.formId!}`;
    expect(recorded?.endpoint_id).toBe(stored!.id);

    // The browser re-posts the very same form (its token, its id, its fields).
    const again = await post(form, { url, events: 'call.completed' });
    expect(again.status).toBe(200);
    expect(again.headers['cache-control']).toBe('no-store');
    expect(again.text).toContain('This form was already submitted');
    expect(again.text).toContain(`this form had already registered the endpoint ${url}`);
    expect(again.text).toContain('Its signing secret was shown once');
    expect(again.text).toContain(`href="${webhooksPath()}#endpoint-${stored!.id}"`);
    expect(again.text).not.toMatch(SECRET);
    expect(again.text).not.toContain(secret);
    expect(again.text).not.toContain('The endpoint is registered');
    expect((await endpoints()).filter((e) => e.url === url)).toHaveLength(1);
    expect(await endpoints()).toHaveLength(before + 1);
    const audits = await db`select 1 from public.audit_logs where org_id = ${org.id} and action = 'webhook_endpoint.created' and target_id = ${stored!.id}`;
    expect(audits).toHaveLength(1);

    // Both answers carry a new form for the next registration; it registers a second endpoint normally.
    const next = formIdIn(again.text)!;
    expect(next).not.toBe(form.formId);
    expect(formIdIn(first.text)).not.toBe(form.formId);
    const second = await post({ ...form, formId: next }, { url, events: 'incident.opened' });
    expect(second.status).toBe(201);
    const secondSecret = SECRET.exec(second.text)![0];
    expect(secondSecret).not.toBe(secret);
    expect((await endpoints()).filter((e) => e.url === url)).toHaveLength(2);
    expect(await endpoints()).toHaveLength(before + 2);

    // The same form submitted twice at once (two replicas, two connections): one registers, the other finds it.
    const racing = formIdIn(second.text)!;
    const raced = await Promise.all([0, 1].map(() => post({ ...form, formId: racing }, { url: 'https://hooks.example.test/raced', events: 'call.completed' })));
    expect(raced.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(raced.filter((r) => SECRET.test(r.text))).toHaveLength(1);
    expect((await endpoints()).filter((e) => e.url === 'https://hooks.example.test/raced')).toHaveLength(1);

    // Deleted since: the form again still registers nothing, and says so.
    expect((await post(form, {}, `${webhooksPath()}/${stored!.id}/delete`)).status).toBe(303);
    const afterDelete = await post(form, { url, events: 'call.completed' });
    expect(afterDelete.status).toBe(200);
    expect(afterDelete.text).toContain('that endpoint has been deleted since');
    expect(afterDelete.text).not.toMatch(SECRET);
    expect((await endpoints()).map((e) => e.id)).not.toContain(stored!.id);
    expect((await endpoints()).filter((e) => e.url === url)).toHaveLength(1);

    // In German and Polish too.
    const de = await post(form, { url, events: 'call.completed' }).set('Accept-Language', 'de');
    expect(de.status).toBe(200);
    expect(de.text).toContain('Dieses Formular wurde bereits abgeschickt');
    const pl = await post(form, { url, events: 'call.completed' }).set('Accept-Language', 'pl');
    expect(pl.text).toContain('Ten formularz został już wysłany');
    expect(`${de.text}${pl.text}`).not.toMatch(SECRET);

    await db`delete from public.webhook_endpoints where org_id = ${org.id} and url in (${url}, 'https://hooks.example.test/raced')`;
    expect(await endpoints()).toHaveLength(before);
  });

  it('a form without its one-time id registers nothing: the form again, with an id, and what was typed', async () => {
    const before = await endpoints();
    const form = await openForm(org.admin);
    for (const formId of [undefined, 'not-a-uuid']) {
      const res = await post({ token: form.token, cookie: form.cookie, ...(formId ? { formId } : {}) }, { url: 'https://hooks.example.test/no-form-id', events: 'call.completed' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('this form was out of date');
      expect(res.text).toContain('value="https://hooks.example.test/no-form-id"');
      expect(formIdIn(res.text)).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.text).not.toMatch(SECRET);
    }
    expect(await endpoints()).toEqual(before);
  });

  it('forgets submitted forms after FORM_SUBMISSION_HOURS (the webhook-deliveries job prunes them)', async () => {
    const [old, recent] = [randomUUID(), randomUUID()];
    await db`insert into app.webhook_form_submissions (org_id, form_id, submitted_at)
             values (${org.id}, ${old}, now() - make_interval(hours => ${FORM_SUBMISSION_HOURS + 1})), (${org.id}, ${recent}, now())`;
    expect((await pruneFormSubmissions(db, FORM_SUBMISSION_HOURS)).count).toBeGreaterThanOrEqual(1);
    const left = await db`select form_id from app.webhook_form_submissions where form_id in (${old}, ${recent})`;
    expect(left.map((r) => r.form_id)).toEqual([recent]);
  });

  it('tells a member why there is nothing to see; a member’s register or delete is refused and changes nothing', async () => {
    const before = await endpoints();
    const { html, token, cookie } = await openForm(org.member);
    expect(html).toContain('you are a member, so there is nothing to show you here');
    expect(html).not.toContain(`action="${webhooksPath()}"`);
    expect(html).not.toContain('https://hooks.example.test/voice');
    const res = await post({ token, cookie }, { url: 'https://hooks.example.test/member', events: 'call.completed' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('you are a member');
    expect(res.text).not.toMatch(SECRET);
    const del = await post({ token, cookie }, {}, `${webhooksPath()}/${before[0]!.id}/delete`);
    expect(del.status).toBe(403);
    expect(await endpoints()).toEqual(before);
  });

  it('refuses a POST without its CSRF token', async () => {
    const before = await endpoints();
    const { cookie, formId } = await openForm(org.owner);
    expect(formId).toBeDefined();
    const res = await post({ cookie, formId: formId! }, { url: 'https://hooks.example.test/csrf', events: 'call.completed' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('without its security token');
    expect(res.text).not.toMatch(SECRET);
    expect(await db`select 1 from app.webhook_form_submissions where form_id = ${formId!}`).toHaveLength(0);
    const del = await post({ cookie }, {}, `${webhooksPath()}/${before[0]!.id}/delete`);
    expect(del.status).toBe(403);
    expect(await endpoints()).toEqual(before);
  });

  it('in German and Polish too', async () => {
    const de = await request(app).get(webhooksPath()).set('Cookie', `session=${org.owner.token}`).set('Accept-Language', 'de');
    expect(de.text).toContain('Endpunkt registrieren');
    const pl = await request(app).get(webhooksPath()).set('Cookie', `session=${org.member.token}`).set('Accept-Language', 'pl');
    expect(pl.text).toContain('jesteś członkiem');
  });

  it('never shows, adds to or deletes from another organisation’s endpoints', async () => {
    const form = await openForm(other.owner, webhooksPath(other));
    expect((await post(form, { url: 'https://hooks.example.test/other-org', events: 'call.completed' }, webhooksPath(other))).status).toBe(201);
    const [theirs] = await endpoints(other);
    const mine = await openForm(org.owner);
    expect(mine.html).not.toContain('other-org');
    const look = await request(app).get(webhooksPath(other)).set('Cookie', `session=${org.owner.token}`);
    expect(look.status).toBe(404);
    expect(look.text).not.toContain('other-org');
    expect((await post(mine, { url: 'https://hooks.example.test/intruder', events: 'call.completed' }, webhooksPath(other))).status).toBe(404);
    // Their endpoint's id under my organisation, and under theirs.
    expect((await post(mine, {}, `${webhooksPath()}/${theirs!.id}/delete`)).status).toBe(404);
    expect((await post(mine, {}, `${webhooksPath(other)}/${theirs!.id}/delete`)).status).toBe(404);
    expect((await endpoints(other)).map((e) => e.url)).toEqual(['https://hooks.example.test/other-org']);
  });

  it('needs a session', async () => {
    const res = await request(app).get(webhooksPath());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
  });
});
