import { randomInt } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
import type { ServiceDb } from '../src/db/database.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const API_KEY = 'test-key';

let db: ServiceDb;
let fake: ElevenLabsFake;
let config: ReturnType<typeof testConfig>;
let app: ReturnType<typeof buildTestApp>['app'];

beforeAll(async () => {
  db = openTestDb();
  fake = await startElevenLabsFake({ apiKey: API_KEY });
  config = testConfig({ ELEVENLABS_API_KEY: API_KEY, ELEVENLABS_BASE_URL: fake.url });
  ({ app } = buildTestApp(db, config));
});
afterAll(async () => {
  await fake.close();
  await db.end();
});

/** A number nobody else in this run uses. */
function phone(): string {
  return `+49301${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/** A first message with both sentences of the language (or without one of them). */
function greeting(language: string, parts: { ai?: boolean; recording?: boolean } = {}): string {
  const d = disclaimerFor(language)!;
  return [parts.ai === false ? '' : d.ai_disclosure, parts.recording === false ? '' : d.recording_notice, 'Hello & <welcome>!'].filter(Boolean).join(' ');
}

/** Text as Preact writes it into HTML. */
function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

const agentsPath = (o: TestOrg) => `/app/orgs/${o.id}/agents`;

interface Form {
  token?: string;
  cookie: string;
  html: string;
}

/** A page's CSRF token and the cookies a browser holding it would send. */
async function open(user: TestUser, path: string, lang?: string): Promise<Form> {
  const cookie = `session=${user.token}`;
  const req = request(app).get(path).set('Cookie', cookie);
  const res = lang ? await req.set('Accept-Language', lang) : await req;
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return { token, cookie: `${cookie}; ${csrf}`, html: res.text };
}

const post = (form: { token?: string; cookie: string }, path: string, body: Record<string, string>) =>
  request(app)
    .post(path)
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...body });

async function agentsOf(o: TestOrg) {
  return db<{ id: string; name: string; language: string; first_message: string; elevenlabs_agent_id: string | null }[]>`
    select id, name, language, first_message, elevenlabs_agent_id from public.agents where org_id = ${o.id} order by created_at, id`;
}

/** Creates an agent through the API (a fixture for the pages that show and change it). */
async function apiAgent(o: TestOrg, body: Record<string, unknown> = {}) {
  const res = await request(app)
    .post(`/api/orgs/${o.id}/agents`)
    .set(...bearer(o.owner))
    .send({ name: 'Reception', language: 'en', first_message: greeting('en'), ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; elevenlabs_agent_id: string };
}

function verdict(fragment: string): string {
  return /data-verdict="([a-z]+)"/.exec(fragment)![1]!;
}

describe('dashboard agents page', () => {
  it('an owner creates an agent through the form: stored, at ElevenLabs, audited, listed', async () => {
    const org = await createOrg(db, config);
    const form = await open(org.owner, agentsPath(org));
    expect(form.html).toContain(`href="${agentsPath(org)}" aria-current="page"`);
    expect(form.html).toContain('No agents yet.');
    expect(form.html).toContain(`action="${agentsPath(org)}"`);
    // The catalogue's sentences for the preselected language, next to the field; htmx from our own origin.
    expect(form.html).toContain(html(disclaimerFor('en')!.ai_disclosure));
    expect(form.html).toContain(html(disclaimerFor('en')!.recording_notice));
    expect(form.html).toMatch(/<script src="\/app\/assets\/htmx\.min\.js\?v=2\.[0-9.]+" defer><\/script>/);
    expect(form.html).toContain('name="htmx-config"');
    expect(form.html).toContain(`hx-post="${agentsPath(org)}/first-message-check"`);
    expect(form.html).toContain('aria-live="polite"');
    expect(form.html).not.toMatch(/<style| style=| hx-on|<script>/);

    const number = phone();
    const message = greeting('de');
    const res = await post(form, agentsPath(org), { name: 'Empfang', language: 'de', first_message: message, phone_number: number });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${agentsPath(org)}?done=created`);

    const [agent, ...more] = await agentsOf(org);
    expect(more).toHaveLength(0);
    expect(agent).toMatchObject({ name: 'Empfang', language: 'de', first_message: message });
    expect(fake.agents.has(agent!.elevenlabs_agent_id!)).toBe(true);
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'agent.created' and target_id = ${agent!.id}`;
    expect(audit?.actor_id).toBe(org.owner.id);

    const list = await request(app).get(`${agentsPath(org)}?done=created`).set('Cookie', `session=${org.owner.token}`);
    expect(list.text).toContain('The agent is created.');
    expect(list.text).toContain('Empfang');
    expect(list.text).toContain('German (de)');
    expect(list.text).toContain(number);
    expect(list.text).toContain(html(message));
    expect(list.text).toContain(`href="${agentsPath(org)}/${agent!.id}"`);
    expect(list.text).toContain(`href="${agentsPath(org)}/${agent!.id}/delete"`);
  });

  it('refuses a first message without the disclosure with the reason, keeping everything typed, creating nothing', async () => {
    const org = await createOrg(db, config);
    const form = await open(org.admin, agentsPath(org));
    const number = phone();
    const message = greeting('pl', { ai: false });
    const before = fake.agents.size;
    const res = await post(form, agentsPath(org), { name: 'Recepcja <1>', language: 'pl', first_message: message, phone_number: number });
    expect(res.status).toBe(422);
    expect(res.text).toContain('role="alert"');
    expect(res.text).toContain('Not saved: the first message lacks required sentences of its language');
    // The check under the field names the missing sentence, in the agent's language.
    expect(res.text).toContain('data-verdict="disclaimer"');
    expect(res.text).toContain(`AI disclosure: <q lang="pl">${html(disclaimerFor('pl')!.ai_disclosure)}</q>`);
    expect(res.text).toContain('value="Recepcja &lt;1>"');
    expect(res.text).toContain(`value="${number}"`);
    expect(res.text).toContain(`>${html(message)}</textarea>`);
    expect(res.text).toMatch(/<option value="pl" selected/);
    expect(res.text).toMatch(/name="first_message"[^>]*aria-invalid="true"/);
    expect(await agentsOf(org)).toHaveLength(0);
    expect(fake.agents.size).toBe(before);
  });

  it('answers bad input with a 400 and the form as typed; a taken number and an unreachable ElevenLabs with the reason', async () => {
    const org = await createOrg(db, config);
    const form = await open(org.owner, agentsPath(org));
    const message = greeting('en');
    const blank = await post(form, agentsPath(org), { name: '   ', language: 'en', first_message: message, phone_number: '' });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('Not saved: give the agent a name');
    expect(blank.text).toContain(`>${html(message)}</textarea>`);
    expect(blank.text).toContain('data-verdict="ok"');

    const unsupported = await post(form, agentsPath(org), { name: 'X', language: 'xx', first_message: message, phone_number: '' });
    expect(unsupported.status).toBe(422);
    expect(unsupported.text).toContain('There are no required sentences for this language');
    expect(unsupported.text).toMatch(/<option value="xx" selected/);

    const takenNumber = phone();
    await apiAgent(await createOrg(db, config), { phone_number: takenNumber });
    const conflict = await post(form, agentsPath(org), { name: 'Second', language: 'en', first_message: message, phone_number: takenNumber });
    expect(conflict.status).toBe(409);
    expect(conflict.text).toContain('This phone number is already used by another organisation.');
    expect(conflict.text).toMatch(/name="phone_number"[^>]*aria-invalid="true"/);
    expect(conflict.text).toContain('value="Second"');

    fake.failNext(1, '500');
    const down = await post(form, agentsPath(org), { name: 'Third', language: 'en', first_message: message, phone_number: '' });
    expect(down.status).toBe(502);
    expect(down.text).toContain('role="alert"');
    expect(down.text).toContain('nothing was changed');
    expect(down.text).toContain('value="Third"');
    expect(await agentsOf(org)).toHaveLength(0);
  });

  it('an owner edits an agent on its page, and a refused change keeps what was typed and changes nothing', async () => {
    const org = await createOrg(db, config);
    const created = await apiAgent(org, { phone_number: phone() });
    const path = `${agentsPath(org)}/${created.id}`;
    const form = await open(org.owner, path);
    expect(form.html).toContain(`action="${path}"`);
    expect(form.html).toContain('value="Reception"');
    expect(form.html).toContain('data-verdict="ok"');

    const bad = greeting('de', { recording: false });
    const refused = await post(form, path, { name: 'Rezeption', language: 'de', first_message: bad, phone_number: '' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('value="Rezeption"');
    expect(refused.text).toContain(`>${html(bad)}</textarea>`);
    expect(refused.text).toContain(`Recording notice: <q lang="de">${html(disclaimerFor('de')!.recording_notice)}</q>`);
    expect((await agentsOf(org))[0]).toMatchObject({ name: 'Reception', language: 'en' });

    const good = greeting('de');
    const res = await post(form, path, { name: 'Rezeption', language: 'de', first_message: good, phone_number: '' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${agentsPath(org)}?done=updated`);
    expect((await agentsOf(org))[0]).toMatchObject({ name: 'Rezeption', language: 'de', first_message: good });
    expect(fake.agents.get(created.elevenlabs_agent_id)?.name).toBe('Rezeption');
    // The empty number field took the number away from the agent; it stays with the organisation.
    const [number] = await db`select agent_id from public.phone_numbers where org_id = ${org.id}`;
    expect(number?.agent_id).toBeNull();
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'agent.updated'`;
    expect(audit?.actor_id).toBe(org.owner.id);
  });

  it('an owner deletes an agent after a confirmation step', async () => {
    const org = await createOrg(db, config);
    const created = await apiAgent(org);
    const confirm = await open(org.owner, `${agentsPath(org)}/${created.id}/delete`);
    expect(confirm.html).toContain('Delete agent Reception?');
    expect(confirm.html).toContain(`action="${agentsPath(org)}/${created.id}/delete"`);

    fake.failNext(1, '500');
    const down = await post(confirm, `${agentsPath(org)}/${created.id}/delete`, {});
    expect(down.status).toBe(502);
    expect(down.text).toContain('Not deleted:');
    expect(await agentsOf(org)).toHaveLength(1);

    const res = await post(confirm, `${agentsPath(org)}/${created.id}/delete`, {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${agentsPath(org)}?done=deleted`);
    expect(await agentsOf(org)).toHaveLength(0);
    expect(fake.agents.has(created.elevenlabs_agent_id)).toBe(false);
  });

  it('shows a member the agents read-only with the reason, no forms and no htmx; the member’s POSTs are refused', async () => {
    const org = await createOrg(db, config);
    const created = await apiAgent(org);
    const form = await open(org.member, agentsPath(org));
    expect(form.html).toContain('Only owners and admins can create, change and delete agents; you are a member');
    expect(form.html).toContain('Reception');
    expect(form.html).not.toContain(`action="${agentsPath(org)}"`);
    expect(form.html).not.toContain('hx-post');
    expect(form.html).not.toContain('htmx');
    expect(form.html).not.toContain(`${created.id}/delete`);

    const one = await open(org.member, `${agentsPath(org)}/${created.id}`);
    expect(one.html).toContain('you are a member');
    expect(one.html).not.toContain('<textarea');

    const confirm = await request(app).get(`${agentsPath(org)}/${created.id}/delete`).set('Cookie', `session=${org.member.token}`);
    expect(confirm.status).toBe(403);
    expect(confirm.text).toContain('you are a member');

    const createRes = await post(form, agentsPath(org), { name: 'Mine', language: 'en', first_message: greeting('en'), phone_number: '' });
    expect(createRes.status).toBe(403);
    expect(createRes.text).toContain('This needs the owner or admin role; you are a member.');
    const update = await post(form, `${agentsPath(org)}/${created.id}`, { name: 'Mine', language: 'en', first_message: greeting('en'), phone_number: '' });
    expect(update.status).toBe(403);
    expect(update.text).toContain('you are a member');
    const remove = await post(form, `${agentsPath(org)}/${created.id}/delete`, {});
    expect(remove.status).toBe(403);
    expect(await agentsOf(org)).toEqual([expect.objectContaining({ id: created.id, name: 'Reception' })]);
  });

  it('refuses POSTs without the CSRF token, and changes nothing', async () => {
    const org = await createOrg(db, config);
    const created = await apiAgent(org);
    const { cookie } = await open(org.owner, agentsPath(org));
    const body = { name: 'X', language: 'en', first_message: greeting('en'), phone_number: '' };
    for (const path of [agentsPath(org), `${agentsPath(org)}/${created.id}`, `${agentsPath(org)}/${created.id}/delete`, `${agentsPath(org)}/first-message-check`]) {
      const res = await post({ cookie }, path, body);
      expect(res.status, path).toBe(403);
      expect(res.text).toContain('without its security token');
    }
    expect(await agentsOf(org)).toEqual([expect.objectContaining({ id: created.id, name: 'Reception' })]);
  });

  it('never shows or changes another organisation’s agents', async () => {
    const org = await createOrg(db, config);
    const other = await createOrg(db, config);
    const theirs = await apiAgent(other, { name: 'Theirs' });
    const form = await open(org.owner, agentsPath(org));
    const cookie = `session=${org.owner.token}`;

    expect((await request(app).get(agentsPath(other)).set('Cookie', cookie)).status).toBe(404);
    expect((await request(app).get(`${agentsPath(other)}/${theirs.id}`).set('Cookie', cookie)).status).toBe(404);
    // Their agent's id under our organisation's path: not found either.
    expect((await request(app).get(`${agentsPath(org)}/${theirs.id}`).set('Cookie', cookie)).status).toBe(404);
    expect((await request(app).get(`${agentsPath(org)}/${theirs.id}/delete`).set('Cookie', cookie)).status).toBe(404);
    const body = { name: 'Hijacked', language: 'en', first_message: greeting('en'), phone_number: '' };
    expect((await post(form, `${agentsPath(other)}/${theirs.id}`, body)).status).toBe(404);
    expect((await post(form, `${agentsPath(org)}/${theirs.id}`, body)).status).toBe(404);
    expect((await post(form, `${agentsPath(other)}/${theirs.id}/delete`, {})).status).toBe(404);
    expect((await post(form, `${agentsPath(org)}/${theirs.id}/delete`, {})).status).toBe(404);
    expect((await post(form, agentsPath(other), body)).status).toBe(404);
    expect((await post(form, `${agentsPath(other)}/first-message-check`, { language: 'en', first_message: 'x' })).status).toBe(404);
    expect(await agentsOf(other)).toEqual([expect.objectContaining({ id: theirs.id, name: 'Theirs' })]);
    expect(await agentsOf(org)).toHaveLength(0);
  });

  it('the live check gives the verdict the API gives, for several languages and messages', async () => {
    const org = await createOrg(db, config);
    const form = await open(org.owner, agentsPath(org));
    const de = disclaimerFor('de')!;
    const pl = disclaimerFor('pl')!;
    const cases: [string, string][] = [
      ['en', greeting('en')],
      ['en', greeting('en', { ai: false })],
      ['de', greeting('de')],
      ['de', greeting('de', { recording: false })],
      ['de-AT', `${de.ai_disclosure.toUpperCase()} ${de.recording_notice.replace(/ /g, '\n')}`],
      ['de', `<speak>${de.ai_disclosure} <break time="1s"/> ${de.recording_notice}</speak>`],
      ['de', `${de.ai_disclosure} <!-- ${de.recording_notice} -->`],
      ['pl', greeting('pl')],
      ['pl', `${pl.ai_disclosure} ${pl.not_recorded_notice}`],
      ['pl', `${pl.ai_disclosure} ${pl.recording_notice} ${pl.not_recorded_notice}`],
      ['PL', `${pl.ai_disclosure.toLowerCase()} ${pl.recording_notice}`],
      ['xx', greeting('en')],
      ['en', '   '],
    ];
    const seen = new Set<string>();
    for (const [language, message] of cases) {
      const api = await request(app).post(`/api/orgs/${org.id}/agents`).set(...bearer(org.owner)).send({ name: 'Case', language, first_message: message });
      if (api.status === 201) {
        expect((await request(app).delete(`/api/orgs/${org.id}/agents/${api.body.id}`).set(...bearer(org.owner))).status).toBe(204);
      }
      const check = await post(form, `${agentsPath(org)}/first-message-check`, { language, first_message: message });
      expect(check.status).toBe(200);
      expect(check.text).not.toContain('<html');
      const got = verdict(check.text);
      const expected =
        api.status === 201 ? 'ok' : api.status === 400 ? 'blank' : api.body.error?.code === 'language_unsupported' ? 'language' : api.body.error?.code === 'disclaimer_missing' ? 'disclaimer' : `unexpected ${api.status}`;
      expect(got, `${language}: ${message}`).toBe(expected);
      seen.add(got);
    }
    expect([...seen].sort()).toEqual(['blank', 'disclaimer', 'language', 'ok']);
  });

  it('the live check sends the chosen language’s sentences along, in the person’s language', async () => {
    const org = await createOrg(db, config);
    const form = await open(org.owner, agentsPath(org), 'pl');
    const pl = disclaimerFor('pl')!;
    const res = await post(form, `${agentsPath(org)}/first-message-check`, { language: 'pl', first_message: pl.ai_disclosure }).set('Accept-Language', 'pl');
    expect(res.text).toContain('data-verdict="disclaimer"');
    expect(res.text).toContain('W pierwszej wiadomości brakuje:');
    expect(res.text).toContain(`Informacja o nagrywaniu: <q lang="pl">${html(pl.recording_notice)}</q>`);
    expect(res.text).toMatch(/<section id="required-sentences"[^>]*hx-swap-oob="true"/);
    expect(res.text).toContain(`<dd lang="pl">${html(pl.ai_disclosure)}</dd>`);

    const de = await post(form, `${agentsPath(org)}/first-message-check`, { language: 'de', first_message: greeting('de') }).set('Accept-Language', 'de');
    expect(de.text).toContain('Die erste Nachricht enthält die vorgeschriebenen Sätze.');
    expect(de.text).toContain(`<dd lang="de">${html(disclaimerFor('de')!.recording_notice)}</dd>`);
  });

  it('in German and Polish, with the dashboard’s language preselected for a new agent', async () => {
    const org = await createOrg(db, config);
    const de = await open(org.owner, agentsPath(org), 'de');
    expect(de.html).toContain('Agenten anlegen');
    expect(de.html).toMatch(/<option value="de" selected/);
    expect(de.html).toContain(html(disclaimerFor('de')!.ai_disclosure));
    const pl = await open(org.member, agentsPath(org), 'pl');
    expect(pl.html).toContain('jesteś członkiem');
  });

  it('serves htmx from our own origin, cached for long', async () => {
    const res = await request(app).get('/app/assets/htmx.min.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('max-age=31536000');
    expect(res.text).toContain('htmx');
  });

  it('needs a session', async () => {
    const org = await createOrg(db, config);
    const res = await request(app).get(agentsPath(org));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
  });
});
