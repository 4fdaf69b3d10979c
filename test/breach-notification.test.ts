import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { runWebhookDeliveries } from '../src/webhooks/webhook-delivery.js';
import { bearer, buildTestApp, createOrg, createUser, openIsolatedTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type ReceivedMail, type TestSmtp } from './helpers/smtp.js';

/**
 * A processor's breach duty (Art. 33(2)): an incident naming two organisations
 * tells both (privacy contact and owners) within one run of the notice job,
 * records each notice, pages every 30 minutes until each acknowledges (one
 * through the API, one through the e-mailed link), and sends the
 * incident.opened webhook. The clock is the services' own, moved by the test.
 */

interface Receiver {
  url: string;
  received: { path: string; body: string }[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let receiver: Receiver;
let built: ReturnType<typeof buildTestApp>;
let app: ReturnType<typeof buildTestApp>['app'];
let operator: TestUser;
let a: TestOrg;
let b: TestOrg;
const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
let clock = t0;
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const contactA = `dpo-a-${randomUUID().slice(0, 8)}@customer-a.example.test`;
const contactB = `privacy-b-${randomUUID().slice(0, 8)}@customer-b.example.test`;
const publicOrigin = 'https://voice.example.test';

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  receiver = await startReceiver();
  const config = testConfig({ SMTP_URL: smtp.url, WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'true' });
  built = buildTestApp(db, config, { now: () => clock });
  app = built.app;
  operator = await createUser(db, config, { operator: true });
  a = await createOrg(db, config);
  b = await createOrg(db, config);
  // Organisation B is German: its notices carry a German section after the English one.
  await db`update public.organizations set country = 'DE' where id = ${b.id}`;
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await smtp?.close();
  await isolated?.close();
});

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const linkIn = (mail: ReceivedMail) => {
  const match = /https:\/\/voice\.example\.test(\/incidents\/acknowledge\?token=[^\s]+)/.exec(mail.text);
  expect(match, mail.text).not.toBeNull();
  return match![1]!;
};
const tokenOf = (path: string) => decodeURIComponent(new URL(`https://x${path}`).searchParams.get('token')!);
const tick = () => built.deps.jobs.incidentNotices.sendNotices();
/** Notices sent so far per organisation for one incident (the job's counts include any other incident of a shared database). */
async function pagesOf(incidentId: string): Promise<Record<string, number>> {
  const rows = await db<{ org_id: string; pages_sent: number }[]>`select org_id, pages_sent from public.incident_organizations where incident_id = ${incidentId}`;
  return Object.fromEntries(rows.map((r) => [r.org_id, r.pages_sent]));
}

describe('the privacy contact', () => {
  it('owners and admins set it through the privacy preferences; members read it; a bad address is a 400 and saves nothing', async () => {
    const base = (o: TestOrg) => `/api/orgs/${o.id}/preferences/privacy`;
    expect((await request(app).put(base(a)).set(...bearer(a.member)).send({ privacy_contact_email: contactA })).status).toBe(403);
    const bad = await request(app).put(base(a)).set(...bearer(a.owner)).send({ privacy_contact_email: 'not an address' });
    expect(bad.status).toBe(400);
    const set = await request(app).put(base(a)).set(...bearer(a.owner)).send({ privacy_contact_email: contactA });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.privacy_contact_email).toBe(contactA);
    expect((await request(app).put(base(b)).set(...bearer(b.admin)).send({ privacy_contact_email: contactB })).status).toBe(200);
    const read = await request(app).get(base(a)).set(...bearer(a.member));
    expect(read.body.privacy_contact_email).toBe(contactA);
    // The audit row says that it changed, never the address.
    const [audit] = await db`select metadata from public.audit_logs where org_id = ${a.id} and action = 'privacy_preferences.updated' order by chain_index desc limit 1`;
    expect(JSON.stringify(audit!.metadata)).not.toContain('@');
    expect(audit!.metadata).toMatchObject({ changed: { privacy_contact_email: { from: 'unset', to: 'set' } } });
  });
});

describe('an incident naming two organisations', () => {
  let incidentId: string;

  it('is refused with an organisation that does not exist', async () => {
    const res = await request(app)
      .post('/api/admin/incidents')
      .set(...bearer(operator))
      .send({ title: 'Nobody', severity: 'low', detected_at: t0.toISOString(), affected_org_ids: [randomUUID()] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unknown_organization');
  });

  it('e-mails both contacts and both owners within one job run, records both notices and sends the webhook', async () => {
    const hook = await request(app)
      .post(`/api/orgs/${a.id}/webhooks`)
      .set(...bearer(a.admin))
      .send({ url: `${receiver.url}/incidents`, events: ['incident.opened'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);

    const created = await request(app)
      .post('/api/admin/incidents')
      .set(...bearer(operator))
      .send({ title: `Leaked transcript key ${randomUUID().slice(0, 6)}`, severity: 'high', detected_at: t0.toISOString(), affected_org_ids: [a.id, b.id], nature: 'A key was exposed' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    incidentId = created.body.id;
    expect(created.body.organizations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ org_id: a.id, notified_at: null, acknowledged_at: null }),
        expect.objectContaining({ org_id: b.id, notified_at: null, acknowledged_at: null }),
      ]),
    );

    clock = at(0);
    const run = await tick();
    expect(run.sent).toBeGreaterThanOrEqual(2);
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 1, [b.id]: 1 });
    for (const address of [contactA, a.owner.email, contactB, b.owner.email]) {
      await smtp.waitFor((m) => m.to.includes(address) && m.subject.includes(created.body.title));
    }
    // Admins and members are not paged; owners and the contact are.
    expect(mailsTo(a.admin.email)).toHaveLength(0);
    expect(mailsTo(a.member.email)).toHaveLength(0);
    const mailA = mailsTo(contactA)[0]!;
    expect(mailA.text).toContain('Art. 33(2)');
    expect(mailA.text).toContain(`/api/orgs/${a.id}/incidents/${incidentId}/acknowledgement`);
    expect(mailA.text).not.toContain(b.id);
    expect(mailA.text).not.toContain('Sicherheitsvorfall');
    // The DPO's page counts who was told and who acknowledged.
    await built.deps.incidents.page();
    const dpoPage = await smtp.waitFor((m) => m.to.includes('dpo@voice.example.test') && m.subject.includes(created.body.title));
    expect(dpoPage.text).toContain('Told of it (Art. 33(2)): 2 of 2; acknowledged: 0 of 2.');
    expect(mailsTo(contactB)[0]!.text).toContain('Sicherheitsvorfall');
    // Each recipient's link is its own.
    expect(linkIn(mailA)).not.toBe(linkIn(mailsTo(a.owner.email)[0]!));

    const rows = await db`select org_id, notified_at, pages_sent from public.incident_organizations where incident_id = ${incidentId} order by org_id`;
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(new Date(r.notified_at).getTime()).toBe(t0.getTime());
      expect(r.pages_sent).toBe(1);
    }

    const detail = await request(app).get(`/api/admin/incidents/${incidentId}`).set(...bearer(operator));
    expect(detail.status).toBe(200);
    expect(detail.body.notified_at).toBeNull(); // the authority has not been told yet
    const orgs = Object.fromEntries((detail.body.organizations as { org_id: string }[]).map((o) => [o.org_id, o]));
    expect(orgs[a.id]).toMatchObject({ notified_at: t0.toISOString(), acknowledged_at: null });
    expect(orgs[b.id]).toMatchObject({ notified_at: t0.toISOString(), acknowledged_at: null });

    const audits = await db`select org_id, action, metadata from public.audit_logs where target_id = ${incidentId} and action = 'incident.organization_notified'`;
    expect(audits.map((r) => r.org_id).sort()).toEqual([a.id, b.id].sort());
    for (const r of audits) expect(JSON.stringify(r.metadata)).not.toContain('@');

    const delivered = await runWebhookDeliveries({ serviceDb: db, policy: { allowPrivateNetwork: true }, timeoutMs: 5000 });
    expect(delivered.delivered).toBeGreaterThanOrEqual(1);
    const event = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { incident_id: string } }).find((e) => e.data.incident_id === incidentId);
    expect(event?.type).toBe('incident.opened');
  });

  it('pages again after 30 minutes, not before, until each organisation acknowledges', async () => {
    const before = [contactA, contactB].map((c) => mailsTo(c).length);
    clock = at(10);
    await tick();
    clock = at(29);
    await tick();
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 1, [b.id]: 1 });
    expect([contactA, contactB].map((c) => mailsTo(c).length)).toEqual(before);

    clock = at(30);
    await tick();
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 2, [b.id]: 2 });
    await smtp.waitFor((m) => m.to.includes(contactB) && m.subject.startsWith('[Reminder 1]'));
    await smtp.waitFor((m) => m.to.includes(contactA) && m.subject.startsWith('[Reminder 1]'));
    const [row] = await db`select pages_sent, notified_at, last_paged_at from public.incident_organizations where incident_id = ${incidentId} and org_id = ${a.id}`;
    expect(row!.pages_sent).toBe(2);
    expect(new Date(row!.notified_at).getTime()).toBe(t0.getTime());
    expect(new Date(row!.last_paged_at).getTime()).toBe(at(30).getTime());
  });

  it('organisation A acknowledges through the API (owners and admins, idempotent, audited); paging stops for A only', async () => {
    const path = (o: TestOrg, id = incidentId) => `/api/orgs/${o.id}/incidents/${id}/acknowledgement`;
    clock = at(35);
    expect((await request(app).post(path(a)).set(...bearer(a.member))).status).toBe(403);
    expect((await request(app).post(path(a, randomUUID())).set(...bearer(a.admin))).status).toBe(404);
    // Org B's owner cannot acknowledge for A (not their organisation).
    expect((await request(app).post(path(a)).set(...bearer(b.owner))).status).toBe(404);
    const ack = await request(app).post(path(a)).set(...bearer(a.admin));
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body).toMatchObject({ id: incidentId, acknowledged_at: at(35).toISOString(), acknowledged_via: 'api', acknowledged_by: a.admin.id });
    clock = at(40);
    const again = await request(app).post(path(a)).set(...bearer(a.owner));
    expect(again.status).toBe(200);
    expect(again.body.acknowledged_at).toBe(at(35).toISOString());
    const audits = await db`select actor_id, metadata from public.audit_logs where org_id = ${a.id} and action = 'incident.acknowledged'`;
    expect(audits).toEqual([{ actor_id: a.admin.id, metadata: { via: 'api' } }]);

    // Members read the list; each organisation sees its own acknowledgement.
    const listA = await request(app).get(`/api/orgs/${a.id}/incidents`).set(...bearer(a.member));
    expect(listA.status).toBe(200);
    expect(listA.body.incidents).toEqual([expect.objectContaining({ id: incidentId, notified_at: t0.toISOString(), acknowledged_at: at(35).toISOString() })]);
    expect(listA.body.incidents[0]).not.toHaveProperty('description');
    expect(listA.body.incidents[0]).not.toHaveProperty('affected_org_ids');
    const listB = await request(app).get(`/api/orgs/${b.id}/incidents`).set(...bearer(b.member));
    expect(listB.body.incidents).toEqual([expect.objectContaining({ id: incidentId, acknowledged_at: null })]);

    const toA = mailsTo(contactA).length;
    const toB = mailsTo(contactB).length;
    clock = at(60);
    await tick();
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 2, [b.id]: 3 });
    await smtp.waitFor((m) => m.to.includes(contactB) && m.subject.startsWith('[Reminder 2]'));
    expect(mailsTo(contactA)).toHaveLength(toA);
    expect(mailsTo(contactB)).toHaveLength(toB + 1);
  });

  it('organisation B acknowledges through the e-mailed link: GET shows the page and changes nothing, POST acknowledges, reuse is refused', async () => {
    const link = linkIn(mailsTo(contactB).at(-1)!);
    const token = tokenOf(link);

    const page = await request(app).get(link).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('method="post"');
    expect(page.text).toContain('name="token"');
    const [still] = await db`select acknowledged_at from public.incident_organizations where incident_id = ${incidentId} and org_id = ${b.id}`;
    expect(still!.acknowledged_at).toBeNull();

    // Another site cannot post the form.
    const foreign = await request(app).post('/incidents/acknowledge').set('Origin', 'https://evil.example.test').type('form').send({ token });
    expect(foreign.status).toBe(403);

    clock = at(70);
    const done = await request(app).post('/incidents/acknowledge').set('Origin', publicOrigin).set('Accept', 'text/html').type('form').send({ token });
    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain('Acknowledged');
    const [row] = await db`select acknowledged_at, acknowledged_by, acknowledged_via from public.incident_organizations where incident_id = ${incidentId} and org_id = ${b.id}`;
    expect(row).toEqual({ acknowledged_at: at(70), acknowledged_by: null, acknowledged_via: 'email_link' });
    const audits = await db`select actor_type, metadata from public.audit_logs where org_id = ${b.id} and action = 'incident.acknowledged'`;
    expect(audits).toEqual([{ actor_type: 'public', metadata: { via: 'email_link' } }]);

    const reused = await request(app).post('/incidents/acknowledge').set('Origin', publicOrigin).set('Accept', 'text/html').type('form').send({ token });
    expect(reused.status).toBe(409);
    expect(reused.text).toContain('already acknowledged');
    const reopened = await request(app).get(link).set('Accept', 'text/html');
    expect(reopened.status).toBe(200);
    expect(reopened.text).toContain('already acknowledged');
    expect(reopened.text).not.toContain('name="token"');
    // A token nobody issued, and a tampered one.
    expect((await request(app).get('/incidents/acknowledge?token=ia1.abc.def').set('Accept', 'text/html')).status).toBe(400);
    expect((await request(app).post('/incidents/acknowledge').set('Accept', 'application/json').send({ token: `${token.slice(0, -2)}xx` })).status).toBe(400);

    const before = [contactA, a.owner.email, contactB, b.owner.email].map((c) => mailsTo(c).length);
    clock = at(90);
    await tick();
    clock = at(150);
    await tick();
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 2, [b.id]: 3 });
    expect([contactA, a.owner.email, contactB, b.owner.email].map((c) => mailsTo(c).length)).toEqual(before);

    const detail = await request(app).get(`/api/admin/incidents/${incidentId}`).set(...bearer(operator));
    const orgs = Object.fromEntries((detail.body.organizations as { org_id: string }[]).map((o) => [o.org_id, o]));
    expect(orgs[a.id]).toMatchObject({ notified_at: t0.toISOString(), acknowledged_at: at(35).toISOString(), acknowledged_via: 'api' });
    expect(orgs[b.id]).toMatchObject({ notified_at: t0.toISOString(), acknowledged_at: at(70).toISOString(), acknowledged_via: 'email_link' });
  });

  it('an amendment adds an organisation, which is told on the next run; it cannot drop one already told', async () => {
    const c = await createOrg(db, built.config);
    clock = at(200);
    const added = await request(app).patch(`/api/admin/incidents/${incidentId}`).set(...bearer(operator)).send({ affected_org_ids: [a.id, b.id, c.id] });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    await tick();
    expect(await pagesOf(incidentId)).toEqual({ [a.id]: 2, [b.id]: 3, [c.id]: 1 });
    await smtp.waitFor((m) => m.to.includes(c.owner.email));
    const dropped = await request(app).patch(`/api/admin/incidents/${incidentId}`).set(...bearer(operator)).send({ affected_org_ids: [a.id, c.id] });
    expect(dropped.status).toBe(422);
    expect(dropped.body.error.code).toBe('organization_already_named');
  });

  it('through the Data API (as authenticated), an organisation sees only incidents naming it, and changes nothing', async () => {
    const [other] = await db<{ id: string }[]>`
      insert into public.security_incidents (title, severity, detected_at, affected_org_ids, description)
      values ('Only B', 'low', now(), ${[b.id]}::uuid[], 'internal notes') returning id`;
    const asUser = <T>(user: TestUser, fn: (tx: ServiceDb) => Promise<T>) =>
      db.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: user.id, role: 'authenticated', aud: 'authenticated' })}, true)`;
        return fn(tx as unknown as ServiceDb);
      });
    const seenByA = await asUser(a.member, async (tx) => ({
      notices: await tx`select incident_id, org_id from public.incident_organizations`,
      incidents: await tx`select id, title from public.security_incidents`,
    }));
    expect(seenByA.notices.map((r) => r.org_id)).toEqual([a.id]);
    expect(seenByA.incidents.map((r) => r.id)).toEqual([incidentId]);
    const seenByB = await asUser(b.owner, async (tx) => tx`select id from public.security_incidents order by created_at`);
    expect(seenByB.map((r) => r.id)).toEqual([incidentId, other!.id]);

    const refused = async (user: TestUser, fn: (tx: ServiceDb) => Promise<unknown>) =>
      asUser(user, fn).then(
        (r) => (r as { count?: number }).count ?? 'allowed',
        (err: { code?: string }) => err.code,
      );
    // The register's internals and the other organisations named stay hidden; the notice rows are the backend's.
    expect(await refused(b.owner, (tx) => tx`select description from public.security_incidents`)).toBe('42501');
    expect(await refused(b.owner, (tx) => tx`select affected_org_ids from public.security_incidents`)).toBe('42501');
    expect(await refused(b.owner, (tx) => tx`update public.incident_organizations set acknowledged_at = null, acknowledged_via = null where org_id = ${b.id}`)).toBe('42501');
    expect(await refused(b.owner, (tx) => tx`insert into public.incident_organizations (incident_id, org_id) values (${other!.id}, ${a.id})`)).toBe('42501');
    expect(await refused(a.admin, (tx) => tx`select app.acknowledge_incident(${other!.id}, ${b.id}, now(), 'api')`)).toBe('42501');
    const [stillOpen] = await db`select acknowledged_at from public.incident_organizations where incident_id = ${other!.id}`;
    expect(stillOpen!.acknowledged_at).toBeNull();
  });
});

describe('the dashboard pages', () => {
  /** The page's CSRF token and the cookies a browser holding it would send. */
  async function openForm(user: TestUser, path: string): Promise<{ token: string; cookie: string; html: string }> {
    const cookie = `session=${user.token}`;
    const res = await request(app).get(path).set('Cookie', cookie);
    expect(res.status, res.text).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
    const csrf = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('csrf='))!;
    return { token, cookie: `${cookie}; ${csrf}`, html: res.text };
  }

  it('an organisation lists the incidents naming it; admins acknowledge with the button, members only read', async () => {
    const d = await createOrg(db, built.config);
    const title = `Dashboard incident ${randomUUID().slice(0, 6)}`;
    const created = await request(app).post('/api/admin/incidents').set(...bearer(operator)).send({ title, severity: 'medium', detected_at: clock.toISOString(), affected_org_ids: [d.id] });
    expect(created.status).toBe(201);
    await tick();
    const path = `/app/orgs/${d.id}/incidents`;

    const asMember = await openForm(d.member, path);
    expect(asMember.html).toContain(title);
    expect(asMember.html).not.toContain(`/incidents/${created.body.id}/acknowledgement`);
    expect(asMember.html).toContain(`href="${path}"`); // in the navigation

    const asAdmin = await openForm(d.admin, path);
    expect(asAdmin.html).toContain(`action="${path}/${created.body.id}/acknowledgement"`);
    const res = await request(app)
      .post(`${path}/${created.body.id}/acknowledgement`)
      .set('Cookie', asAdmin.cookie)
      .set('Origin', publicOrigin)
      .type('form')
      .send({ _csrf: asAdmin.token });
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe(`${path}?acknowledged=1`);
    const [row] = await db`select acknowledged_via, acknowledged_by from public.incident_organizations where incident_id = ${created.body.id}`;
    expect(row).toEqual({ acknowledged_via: 'dashboard', acknowledged_by: d.admin.id });
    const after = await openForm(d.member, path);
    expect(after.html).toContain('in the dashboard');

    // The operator's page shows the organisation, when it was told and that it acknowledged.
    const op = await openForm(operator, `/app/admin/incidents/${created.body.id}`);
    expect(op.html).toContain(d.id);
    expect(op.html).toContain('(dashboard)');
  });

  it('owners set the privacy contact on the privacy page; a bad address is sent back and saves nothing', async () => {
    const path = `/app/orgs/${b.id}/privacy`;
    const form = await openForm(b.owner, path);
    expect(form.html).toContain('name="privacy_contact_email"');
    expect(form.html).toContain(contactB);
    const base = { _csrf: form.token, retention_days: '30', consent_scope: 'listed_countries', dtmf_consent: 'on' };
    const bad = await request(app).post(path).set('Cookie', form.cookie).set('Origin', publicOrigin).type('form').send({ ...base, privacy_contact_email: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('privacy contact must be an e-mail address');
    const [kept] = await db`select privacy_contact_email from public.privacy_preferences where org_id = ${b.id}`;
    expect(kept!.privacy_contact_email).toBe(contactB);
    const next = `dsb-${randomUUID().slice(0, 6)}@customer-b.example.test`;
    const ok = await request(app).post(path).set('Cookie', form.cookie).set('Origin', publicOrigin).type('form').send({ ...base, privacy_contact_email: next });
    expect(ok.status).toBe(303);
    const [saved] = await db`select privacy_contact_email from public.privacy_preferences where org_id = ${b.id}`;
    expect(saved!.privacy_contact_email).toBe(next);
  });
});
