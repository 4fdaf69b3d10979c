import { randomInt } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { disclaimerFor, SUPPORTED_LANGUAGES } from '../src/agents/disclaimer-catalogue.js';
import type { ServiceDb } from '../src/db/database.js';
import { ProviderError } from '../src/providers/agent-platform.js';
import { createElevenLabsClient } from '../src/providers/elevenlabs-client.js';
import { createElevenLabsPlatform } from '../src/providers/elevenlabs-platform.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const API_KEY = 'test-key';

let db: ServiceDb;
let fake: ElevenLabsFake;
let config: ReturnType<typeof testConfig>;
/** The app as the container wires it from configuration (ElevenLabs at the fake). */
let app: ReturnType<typeof buildTestApp>['app'];
/** The same, with a 1 s ElevenLabs timeout so that a hanging request fails fast. */
let impatientApp: ReturnType<typeof buildTestApp>['app'];

beforeAll(async () => {
  db = openTestDb();
  fake = await startElevenLabsFake({ apiKey: API_KEY });
  config = testConfig({ ELEVENLABS_API_KEY: API_KEY, ELEVENLABS_BASE_URL: fake.url });
  ({ app } = buildTestApp(db, config));
  const impatient = createElevenLabsPlatform(createElevenLabsClient({ apiKey: API_KEY, baseUrl: fake.url, timeoutInSeconds: 1 }));
  ({ app: impatientApp } = buildTestApp(db, config, { agentPlatform: impatient }));
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
  await db.end();
});

/** A number nobody else in this run uses. */
function phone(): string {
  return `+49301${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/** A first message with both sentences of the language. */
function greeting(language: string, parts: { ai?: boolean; recording?: boolean } = {}): string {
  const d = disclaimerFor(language)!;
  return [parts.ai === false ? '' : d.ai_disclosure, parts.recording === false ? '' : d.recording_notice, 'Hello!']
    .filter(Boolean)
    .join(' ');
}

const agentsUrl = (org: TestOrg) => `/api/orgs/${org.id}/agents`;

async function createAgent(org: TestOrg, body: Record<string, unknown> = {}, as: TestUser = org.owner) {
  return request(app)
    .post(agentsUrl(org))
    .set(...bearer(as))
    .send({ name: 'Reception', language: 'en', first_message: greeting('en'), ...body });
}

/** Everything of the organisation's in our database that agent writes may touch. */
async function dbState(orgId: string) {
  const agents = await db`
    select id, name, language, first_message, elevenlabs_agent_id, created_at, updated_at
    from public.agents where org_id = ${orgId} order by id`;
  const phones = await db`select id, agent_id, e164 from public.phone_numbers where org_id = ${orgId} order by e164`;
  const [audit] = await db<{ n: number }[]>`select count(*)::int as n from public.audit_logs where org_id = ${orgId}`;
  return { agents: [...agents], phones: [...phones], audit: audit!.n };
}

/** The fake's agents, as a comparable value. */
function fakeState() {
  return JSON.parse(JSON.stringify([...fake.agents.entries()]));
}

describe('agents API with ElevenLabs', () => {
  it('creates, reads, updates and deletes an agent, in step with ElevenLabs, audited without personal data', async () => {
    const org = await createOrg(db, config);
    await db`update public.privacy_preferences set retention_days = 90 where org_id = ${org.id}`;
    const number = phone();
    const firstMessage = greeting('de');

    const created = await createAgent(org, { name: 'Praxis Empfang', language: 'de', first_message: firstMessage, phone_number: number });
    expect(created.status).toBe(201);
    const agent = created.body;
    expect(agent).toMatchObject({
      id: expect.any(String),
      name: 'Praxis Empfang',
      language: 'de',
      first_message: firstMessage,
      phone_number: number,
      elevenlabs_agent_id: expect.stringMatching(/^agent_/),
    });
    expect(agent.created_at).toBeTruthy();
    expect(agent.updated_at).toBeTruthy();

    const stored = fake.agents.get(agent.elevenlabs_agent_id);
    expect(stored.name).toBe('Praxis Empfang');
    expect(stored.conversation_config.agent).toMatchObject({ first_message: firstMessage, language: 'de' });
    expect(stored.conversation_config.agent.prompt.prompt).toMatch(/never claim or imply that you are a human/i);
    expect(stored.platform_settings.privacy.retention_days).toBe(90);
    expect(stored.platform_settings.overrides.conversation_config_override.agent).toMatchObject({ first_message: true, language: true });
    expect(fake.requests[0]!.headers['xi-api-key']).toBe(API_KEY);

    const list = await request(app).get(agentsUrl(org)).set(...bearer(org.member));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ agents: [agent] });
    const one = await request(app).get(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.member));
    expect(one.status).toBe(200);
    expect(one.body).toEqual(agent);

    const newMessage = `${greeting('de')} Wie kann ich helfen?`;
    const patched = await request(app)
      .patch(`${agentsUrl(org)}/${agent.id}`)
      .set(...bearer(org.admin))
      .send({ name: 'Praxis Rezeption', first_message: newMessage });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: agent.id, name: 'Praxis Rezeption', first_message: newMessage, phone_number: number });
    expect(patched.body.elevenlabs_agent_id).toBe(agent.elevenlabs_agent_id);
    const updated = fake.agents.get(agent.elevenlabs_agent_id);
    expect(updated.name).toBe('Praxis Rezeption');
    expect(updated.conversation_config.agent).toMatchObject({ first_message: newMessage, language: 'de' });
    expect(updated.platform_settings.privacy.retention_days).toBe(90);
    const [row] = await db`select name, first_message from public.agents where id = ${agent.id}`;
    expect(row).toEqual({ name: 'Praxis Rezeption', first_message: newMessage });

    const deleted = await request(app).delete(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner));
    expect(deleted.status).toBe(204);
    expect(fake.deletedAgents).toEqual([agent.elevenlabs_agent_id]);
    expect(fake.agents.has(agent.elevenlabs_agent_id)).toBe(false);
    expect(await db`select 1 from public.agents where id = ${agent.id}`).toHaveLength(0);
    // Deleted at ElevenLabs already: nothing is queued for a second try.
    expect(await db`select 1 from public.provider_deletions where resource_id = ${agent.elevenlabs_agent_id}`).toHaveLength(0);
    // The number stays with the organisation, detached.
    expect([...(await db`select org_id, agent_id from public.phone_numbers where e164 = ${number}`)]).toEqual([{ org_id: org.id, agent_id: null }]);
    expect((await request(app).get(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner))).status).toBe(404);

    const audit = await db`
      select action, actor_id, target_type, target_id, metadata from public.audit_logs
      where org_id = ${org.id} and action like 'agent.%' order by chain_index`;
    expect(audit.map((a) => a.action)).toEqual(['agent.created', 'agent.updated', 'agent.deleted']);
    expect(audit.map((a) => a.actor_id)).toEqual([org.owner.id, org.admin.id, org.owner.id]);
    expect(audit.every((a) => a.target_type === 'agent' && a.target_id === agent.id)).toBe(true);
    expect(audit[1]!.metadata).toEqual({ fields: ['name', 'first_message'] });
    const text = JSON.stringify(audit);
    expect(text).not.toContain(number);
    expect(text).not.toContain(number.slice(1));
    for (const sentence of [disclaimerFor('de')!.ai_disclosure, 'Wie kann ich helfen', 'Hello']) expect(text).not.toContain(sentence);
  });

  it('accepts every catalogue language with both sentences, and names the missing one otherwise', async () => {
    const org = await createOrg(db, config);
    for (const language of SUPPORTED_LANGUAGES) {
      const d = disclaimerFor(language)!;
      const ok = await createAgent(org, { language, first_message: greeting(language) });
      expect(ok.status, language).toBe(201);
      expect(fake.agents.get(ok.body.elevenlabs_agent_id).conversation_config.agent.language).toBe(language);

      const noAi = await createAgent(org, { language, first_message: greeting(language, { ai: false }) });
      expect(noAi.status, language).toBe(422);
      expect(noAi.body.error).toMatchObject({ code: 'disclaimer_missing', details: { missing: ['ai_disclosure'], forbidden: [] } });
      expect(noAi.body.error.message).toContain(d.ai_disclosure);

      const noRecording = await createAgent(org, { language, first_message: greeting(language, { recording: false }) });
      expect(noRecording.status, language).toBe(422);
      expect(noRecording.body.error).toMatchObject({ code: 'disclaimer_missing', details: { missing: ['recording_notice'], forbidden: [] } });
      expect(noRecording.body.error.message).toContain(d.recording_notice);
    }
    expect(fake.agents.size).toBe(SUPPORTED_LANGUAGES.length);
    expect((await dbState(org.id)).agents).toHaveLength(SUPPORTED_LANGUAGES.length);
  });

  it('refuses a language without catalogue entry with 422 naming the supported ones', async () => {
    const org = await createOrg(db, config);
    for (const language of ['xx', 'de-at', 'klingon']) {
      const res = await createAgent(org, { language, first_message: greeting('en') });
      expect(res.status, language).toBe(422);
      expect(res.body.error.code).toBe('language_unsupported');
      expect(res.body.error.message).toContain(SUPPORTED_LANGUAGES.join(', '));
    }
    const res = await createAgent(org, { language: 'DE', first_message: greeting('de') });
    expect(res.status).toBe(201);
    expect(res.body.language).toBe('de');
    expect(fake.agents.size).toBe(1);
  });

  it('validates the body strictly (400)', async () => {
    const org = await createOrg(db, config);
    for (const body of [
      { name: '', language: 'en', first_message: greeting('en') },
      { name: 'x'.repeat(201), language: 'en', first_message: greeting('en') },
      { name: 'A', language: 'en', first_message: '   ' },
      { name: 'A', language: 'en', first_message: 'x'.repeat(2001) },
      { name: 'A', language: 'en', first_message: greeting('en'), phone_number: '030 1234567' },
      { name: 'A', language: 'en', first_message: greeting('en'), prompt: 'extra' },
      { language: 'en', first_message: greeting('en') },
    ]) {
      const res = await request(app).post(agentsUrl(org)).set(...bearer(org.owner)).send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    const { body: agent } = await createAgent(org);
    const empty = await request(app).patch(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner)).send({});
    expect(empty.status).toBe(400);
    const badId = await request(app).patch(`${agentsUrl(org)}/not-a-uuid`).set(...bearer(org.owner)).send({ name: 'B' });
    expect(badId.status).toBe(400);
    expect(fake.agents.size).toBe(1);
  });

  it('refuses a change whose resulting first message lacks a sentence, changing nothing', async () => {
    const org = await createOrg(db, config);
    const { body: agent } = await createAgent(org, { phone_number: phone() });
    const dbBefore = await dbState(org.id);
    const fakeBefore = fakeState();
    const requests = fake.requests.length;

    const noRecording = await request(app)
      .patch(`${agentsUrl(org)}/${agent.id}`)
      .set(...bearer(org.owner))
      .send({ first_message: greeting('en', { recording: false }), name: 'Renamed' });
    expect(noRecording.status).toBe(422);
    expect(noRecording.body.error).toMatchObject({ code: 'disclaimer_missing', details: { missing: ['recording_notice'] } });
    expect(noRecording.body.error.message).toContain('This call is recorded.');

    // The English greeting does not serve a German agent.
    const otherLanguage = await request(app).patch(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner)).send({ language: 'de' });
    expect(otherLanguage.status).toBe(422);
    expect(otherLanguage.body.error.details.missing).toEqual(['ai_disclosure', 'recording_notice']);

    const unsupported = await request(app).patch(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner)).send({ language: 'xx' });
    expect(unsupported.status).toBe(422);
    expect(unsupported.body.error.code).toBe('language_unsupported');

    expect(await dbState(org.id)).toEqual(dbBefore);
    expect(fakeState()).toEqual(fakeBefore);
    expect(fake.requests).toHaveLength(requests);
  });

  describe('ElevenLabs failures leave everything unchanged (502)', () => {
    for (const mode of ['500', 'timeout'] as const) {
      it(`create, ${mode}`, async () => {
        const org = await createOrg(db, config);
        const number = phone();
        const before = await dbState(org.id);
        const tools = fake.tools.size;
        fake.failNext(1, mode, { method: 'POST', path: /^\/v1\/convai\/agents\/create$/ });
        const res = await request(impatientApp)
          .post(agentsUrl(org))
          .set(...bearer(org.owner))
          .send({ name: 'Reception', language: 'en', first_message: greeting('en'), phone_number: number });
        expect(res.status).toBe(502);
        expect(res.body.error.code).toBe('upstream_failed');
        expect(res.body.error.message).toMatch(/^ElevenLabs did not accept the agent: agents\.create .*; nothing was changed\.$/);
        expect(res.body.error.message).toContain(mode === '500' ? 'HTTP 500 (internal_error)' : 'timed out');
        expect(res.body.error.message).not.toContain(API_KEY);
        expect(await dbState(org.id)).toEqual(before);
        expect(fake.agents.size).toBe(0);
        // The tool made for it is deleted again.
        expect(fake.tools.size).toBe(tools);
        expect(fake.deletedTools).toHaveLength(1);

        // The number was only reserved in the rolled-back transaction: it is free again.
        const retry = await createAgent(org, { phone_number: number });
        expect(retry.status).toBe(201);
        expect(retry.body.phone_number).toBe(number);
      });

      it(`update, ${mode}`, async () => {
        const org = await createOrg(db, config);
        const { body: agent } = await createAgent(org, { phone_number: phone() });
        const dbBefore = await dbState(org.id);
        const fakeBefore = fakeState();
        fake.failNext(1, mode, { method: 'PATCH', path: /^\/v1\/convai\/agents\// });
        const res = await request(impatientApp)
          .patch(`${agentsUrl(org)}/${agent.id}`)
          .set(...bearer(org.admin))
          .send({ name: 'Renamed', phone_number: phone() });
        expect(res.status).toBe(502);
        expect(res.body.error.message).toMatch(/^ElevenLabs did not accept the change to the agent: agents\.update .*; nothing was changed\.$/);
        expect(await dbState(org.id)).toEqual(dbBefore);
        expect(fakeState()).toEqual(fakeBefore);
      });

      it(`delete, ${mode}`, async () => {
        const org = await createOrg(db, config);
        const { body: agent } = await createAgent(org, { phone_number: phone() });
        const dbBefore = await dbState(org.id);
        const fakeBefore = fakeState();
        fake.failNext(1, mode);
        const res = await request(impatientApp).delete(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner));
        expect(res.status).toBe(502);
        expect(res.body.error.message).toMatch(/^ElevenLabs did not delete the agent: agents\.delete .*; nothing was changed\.$/);
        expect(await dbState(org.id)).toEqual(dbBefore);
        expect(fakeState()).toEqual(fakeBefore);
        expect(fake.deletedAgents).toEqual([]);

        const retry = await request(app).delete(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner));
        expect(retry.status).toBe(204);
      });
    }
  });

  it('deletes the agent at ElevenLabs again when our side of a create fails', async () => {
    const org = await createOrg(db, config);
    // A real database failure after ElevenLabs has answered: a trigger refusing this org's agents.
    await db.unsafe(`
      create or replace function public.agents_api_test_refuse() returns trigger language plpgsql as $$
      begin
        if new.org_id = '${org.id}' then raise exception 'refused by test trigger'; end if;
        return new;
      end $$;
      create trigger agents_api_test_refuse before insert on public.agents
        for each row execute function public.agents_api_test_refuse();`);
    try {
      const before = await dbState(org.id);
      const res = await createAgent(org, { phone_number: phone() });
      expect(res.status).toBe(500);
      // The tool and the agent are created, then both deleted again.
      expect(fake.requests.map((r) => `${r.method} ${r.path.replace(/\/[^/]*_[0-9a-z]{26}$/, '/:id')}`)).toEqual([
        'POST /v1/convai/tools',
        'POST /v1/convai/agents/create',
        'DELETE /v1/convai/agents/:id',
        'DELETE /v1/convai/tools/:id',
      ]);
      expect(fake.agents.size).toBe(0);
      expect(fake.tools.size).toBe(0);
      expect(fake.deletedAgents).toHaveLength(1);
      expect(await dbState(org.id)).toEqual(before);
    } finally {
      await db.unsafe(`
        drop trigger agents_api_test_refuse on public.agents;
        drop function public.agents_api_test_refuse();`);
    }
  });

  it('creates the agent at ElevenLabs anew when ElevenLabs no longer knows it', async () => {
    const org = await createOrg(db, config);
    const { body: agent } = await createAgent(org);
    fake.agents.delete(agent.elevenlabs_agent_id);
    const res = await request(app).patch(`${agentsUrl(org)}/${agent.id}`).set(...bearer(org.owner)).send({ name: 'Again' });
    expect(res.status).toBe(200);
    expect(res.body.elevenlabs_agent_id).toMatch(/^agent_/);
    expect(res.body.elevenlabs_agent_id).not.toBe(agent.elevenlabs_agent_id);
    expect(fake.agents.get(res.body.elevenlabs_agent_id)).toMatchObject({ name: 'Again' });
  });

  it('lets members read but not write (403), and outsiders neither (404)', async () => {
    const org = await createOrg(db, config);
    const outsider = await createUser(db, config);
    const { body: agent } = await createAgent(org);
    const before = await dbState(org.id);
    const fakeBefore = fakeState();
    const requests = fake.requests.length;
    const url = `${agentsUrl(org)}/${agent.id}`;

    for (const [who, status] of [
      [org.member, 403],
      [outsider, 404],
    ] as const) {
      expect((await createAgent(org, {}, who)).status).toBe(status);
      expect((await request(app).patch(url).set(...bearer(who)).send({ name: 'Mine now' })).status).toBe(status);
      expect((await request(app).delete(url).set(...bearer(who))).status).toBe(status);
    }
    expect((await request(app).get(agentsUrl(org)).set(...bearer(org.member))).status).toBe(200);
    expect((await request(app).get(url).set(...bearer(org.member))).status).toBe(200);
    expect((await request(app).get(agentsUrl(org)).set(...bearer(outsider))).status).toBe(404);
    expect((await request(app).get(url).set(...bearer(outsider))).status).toBe(404);

    expect(await dbState(org.id)).toEqual(before);
    expect(fakeState()).toEqual(fakeBefore);
    expect(fake.requests).toHaveLength(requests);
  });

  it('does not show or change another organisation’s agent', async () => {
    const a = await createOrg(db, config);
    const b = await createOrg(db, config);
    const { body: agent } = await createAgent(a);
    const foreign = `${agentsUrl(b)}/${agent.id}`;
    expect((await request(app).get(foreign).set(...bearer(b.owner))).status).toBe(404);
    expect((await request(app).patch(foreign).set(...bearer(b.owner)).send({ name: 'Taken' })).status).toBe(404);
    expect((await request(app).delete(foreign).set(...bearer(b.owner))).status).toBe(404);
    expect((await request(app).get(agentsUrl(b)).set(...bearer(b.owner))).body).toEqual({ agents: [] });
    expect(fake.agents.get(agent.elevenlabs_agent_id).name).toBe('Reception');
  });

  it('refuses a phone number in use (409) before anything is created at ElevenLabs', async () => {
    const org = await createOrg(db, config);
    const other = await createOrg(db, config);
    const number = phone();
    const { body: first } = await createAgent(org, { phone_number: number });
    const { body: second } = await createAgent(org);
    const agentsAtFake = fake.agents.size;
    const requests = fake.requests.length;
    const before = await dbState(org.id);
    const otherBefore = await dbState(other.id);

    const sameOrg = await createAgent(org, { phone_number: number });
    expect(sameOrg.status).toBe(409);
    expect(sameOrg.body.error.message).toMatch(/another agent of this organisation/);
    const otherOrg = await createAgent(other, { phone_number: number });
    expect(otherOrg.status).toBe(409);
    expect(otherOrg.body.error.message).toMatch(/another organisation/);
    const patch = await request(app).patch(`${agentsUrl(org)}/${second.id}`).set(...bearer(org.owner)).send({ phone_number: number, name: 'X' });
    expect(patch.status).toBe(409);

    expect(fake.agents.size).toBe(agentsAtFake);
    expect(fake.requests).toHaveLength(requests);
    expect(await dbState(org.id)).toEqual(before);
    expect(await dbState(other.id)).toEqual(otherBefore);

    // Once the first agent is gone its number is the organisation's, free for another agent.
    expect((await request(app).delete(`${agentsUrl(org)}/${first.id}`).set(...bearer(org.owner))).status).toBe(204);
    expect((await createAgent(other, { phone_number: number })).status).toBe(409);
    const moved = await request(app).patch(`${agentsUrl(org)}/${second.id}`).set(...bearer(org.owner)).send({ phone_number: number });
    expect(moved.status).toBe(200);
    expect(moved.body.phone_number).toBe(number);
    expect(await db`select 1 from public.phone_numbers where e164 = ${number}`).toHaveLength(1);
  });

  it('gives a number to only one of two concurrent creates', async () => {
    const org = await createOrg(db, config);
    const number = phone();
    const results = await Promise.all([createAgent(org, { phone_number: number }), createAgent(org, { phone_number: number })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.message).toMatch(/another agent of this organisation/);
    expect(fake.agents.size).toBe(1);
    expect((await dbState(org.id)).agents).toHaveLength(1);
  });

  it('changes and detaches a phone number without calling ElevenLabs', async () => {
    const org = await createOrg(db, config);
    const [n1, n2] = [phone(), phone()];
    const { body: agent } = await createAgent(org, { phone_number: n1 });
    const requests = fake.requests.length;
    const url = `${agentsUrl(org)}/${agent.id}`;

    const changed = await request(app).patch(url).set(...bearer(org.owner)).send({ phone_number: n2 });
    expect(changed.status).toBe(200);
    expect(changed.body.phone_number).toBe(n2);
    const detached = await request(app).patch(url).set(...bearer(org.owner)).send({ phone_number: null });
    expect(detached.status).toBe(200);
    expect(detached.body.phone_number).toBeNull();
    expect(fake.requests).toHaveLength(requests);

    const phones = await db`select e164, agent_id from public.phone_numbers where org_id = ${org.id} order by e164`;
    expect([...phones]).toEqual([n1, n2].sort().map((e164) => ({ e164, agent_id: null })));
    const fields = await db`
      select metadata->'fields' as fields from public.audit_logs
      where org_id = ${org.id} and action = 'agent.updated' order by chain_index`;
    expect(fields.map((f) => f.fields)).toEqual([['phone_number'], ['phone_number']]);

    // A change that changes nothing writes nothing.
    const audit = (await dbState(org.id)).audit;
    const same = await request(app).patch(url).set(...bearer(org.owner)).send({ name: agent.name });
    expect(same.status).toBe(200);
    expect((await dbState(org.id)).audit).toBe(audit);
  });

  it('pushes a changed retention window to every agent at ElevenLabs', async () => {
    const org = await createOrg(db, config);
    const { body: a } = await createAgent(org, { name: 'A' });
    const { body: b } = await createAgent(org, { name: 'B', language: 'pl', first_message: greeting('pl') });
    const other = await createOrg(db, config);
    const { body: c } = await createAgent(other, { name: 'C' });
    expect(fake.agents.get(a.elevenlabs_agent_id).platform_settings.privacy.retention_days).toBe(30);

    const res = await request(app).put(`/api/orgs/${org.id}/preferences/privacy`).set(...bearer(org.admin)).send({ retention_days: 180 });
    expect(res.status).toBe(200);
    for (const agent of [a, b]) {
      const stored = fake.agents.get(agent.elevenlabs_agent_id);
      expect(stored.platform_settings.privacy.retention_days).toBe(180);
      expect(stored.conversation_config.agent).toMatchObject({ first_message: agent.first_message, language: agent.language });
    }
    expect(fake.agents.get(c.elevenlabs_agent_id).platform_settings.privacy.retention_days).toBe(30);

    // No change of retention, no calls.
    const requests = fake.requests.length;
    await request(app).put(`/api/orgs/${org.id}/preferences/privacy`).set(...bearer(org.admin)).send({ dtmf_consent: false });
    expect(fake.requests).toHaveLength(requests);

    // An outage does not undo the preference change.
    fake.failNext(1, '500');
    const during = await request(app).put(`/api/orgs/${org.id}/preferences/privacy`).set(...bearer(org.owner)).send({ retention_days: 365 });
    expect(during.status).toBe(200);
    expect(during.body.retention_days).toBe(365);
    const retentions = [a, b].map((agent) => fake.agents.get(agent.elevenlabs_agent_id).platform_settings.privacy.retention_days).sort();
    expect(retentions).toEqual([180, 365]);
  });
});

describe('ElevenLabs platform against the fake', () => {
  const platform = () => createElevenLabsPlatform(createElevenLabsClient({ apiKey: API_KEY, baseUrl: fake.url }));
  const spec = {
    name: 'Desk',
    language: 'fr',
    firstMessage: greeting('fr'),
    retentionDays: 30,
    stopRecordingTool: { url: 'https://voice.example.eu/webhooks/elevenlabs/tools/stop-recording', secret: 'a'.repeat(64) },
  };

  it('registers a call with the per-call greeting and returns TwiML; deletes conversations', async () => {
    const p = platform();
    const { externalId } = await p.createAgent(spec);
    const twiml = await p.registerCall({
      externalAgentId: externalId,
      fromNumber: '+33123456789',
      toNumber: '+33987654321',
      firstMessage: 'Bonjour.',
      language: 'fr',
      dynamicVariables: { call_id: 'c1' },
    });
    expect(twiml).toMatch(/<Connect><Stream url="wss:/);
    expect(fake.registeredCalls[0]).toMatchObject({
      agent_id: externalId,
      direction: 'inbound',
      conversation_initiation_client_data: {
        dynamic_variables: { call_id: 'c1' },
        conversation_config_override: { agent: { first_message: 'Bonjour.', language: 'fr' } },
      },
    });
    const [conversationId] = [...fake.conversations.keys()];
    expect(await p.deleteConversation(conversationId!)).toBe('deleted');
    expect(await p.deleteConversation(conversationId!)).toBe('not_found');
    expect(await p.deleteAgent(externalId)).toBe('deleted');
    expect(await p.deleteAgent(externalId)).toBe('not_found');
  });

  it('reports failures as ProviderError with the status and without secrets', async () => {
    fake.failNext(1, '500');
    const err = await platform().createAgent(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: 'elevenlabs', status: 500, retryable: true, message: 'tools.create answered HTTP 500 (internal_error)' });

    const notFound = await platform().updateAgent({ externalId: 'agent_missing', toolId: null }, spec).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ status: 404, retryable: false, message: 'agents.update answered HTTP 404 (agent_not_found)' });

    const wrongKey = createElevenLabsPlatform(createElevenLabsClient({ apiKey: 'sk_wrong_secret', baseUrl: fake.url }));
    const denied = (await wrongKey.createAgent(spec).catch((e: unknown) => e)) as ProviderError;
    expect(denied.status).toBe(401);
    expect(denied.message).not.toContain('sk_wrong_secret');

    const unreachable = createElevenLabsPlatform(createElevenLabsClient({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:1' }));
    const down = (await unreachable.deleteAgent('agent_x').catch((e: unknown) => e)) as ProviderError;
    expect(down).toBeInstanceOf(ProviderError);
    expect(down.status).toBeUndefined();
    expect(down.message).toBe('agents.delete failed: ElevenLabs could not be reached');
  });
});

describe('local mode (no ElevenLabs key)', () => {
  it('keeps agents in our database only, with local ids', async () => {
    const localConfig = testConfig();
    expect(localConfig.elevenlabs.apiKey).toBeUndefined();
    const { app: localApp, deps } = buildTestApp(db, localConfig);
    expect(deps.agentPlatform.name).toBe('local');
    const org = await createOrg(db, localConfig);
    const created = await request(localApp)
      .post(agentsUrl(org))
      .set(...bearer(org.owner))
      .send({ name: 'Local', language: 'pl', first_message: greeting('pl'), phone_number: phone() });
    expect(created.status).toBe(201);
    expect(created.body.elevenlabs_agent_id).toMatch(/^local_[0-9a-f-]{36}$/);
    const patched = await request(localApp).patch(`${agentsUrl(org)}/${created.body.id}`).set(...bearer(org.owner)).send({ name: 'Lokal' });
    expect(patched.status).toBe(200);
    expect((await request(localApp).delete(`${agentsUrl(org)}/${created.body.id}`).set(...bearer(org.owner))).status).toBe(204);
    expect(fake.requests).toHaveLength(0);
  });

  it('answers a call with the greeting in the agent’s language, a local-simulation notice and a hang-up', async () => {
    const local = createLocalAgentPlatform();
    const { externalId } = await local.createAgent({
      name: 'x',
      language: 'pl',
      firstMessage: 'x',
      retentionDays: 30,
      stopRecordingTool: { url: 'http://localhost:3000/webhooks/elevenlabs/tools/stop-recording', secret: 'b'.repeat(64) },
    });
    const twiml = await local.registerCall({
      externalAgentId: externalId,
      fromNumber: '+48123456789',
      toNumber: '+48987654321',
      firstMessage: `<speak>${greeting('pl')}</speak>`,
      language: 'pl',
      dynamicVariables: {},
    });
    expect(twiml).toContain(`<Say language="pl-PL">${greeting('pl')}</Say>`);
    // The stand-in's own closing sentence is in the agent's language too, not English.
    expect(twiml).toMatch(/<Say language="pl-PL">To jest lokalna symulacja\.[^<]*<\/Say><Hangup\/><\/Response>$/);
    expect(await local.deleteAgent(externalId)).toBe('deleted');
    expect(await local.deleteAgent('agent_elsewhere')).toBe('not_found');
    expect(await local.deleteConversation('conv_x')).toBe('not_found');
  });
});
