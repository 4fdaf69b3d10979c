import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syncAgents } from '../src/agents/agent-platform-sync.js';
import { disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
import type { ServiceDb } from '../src/db/database.js';
import { runProviderDeletions } from '../src/deletions/provider-deletions.js';
import { AGENT_CONFIG_VERSION } from '../src/providers/agent-platform.js';
import { STOP_RECORDING_PATH, STOP_RECORDING_SECRET_HEADER, STOP_RECORDING_TOOL_NAME, stopRecordingSecret } from '../src/providers/stop-recording-tool.js';
import { createAgentLine, newCallSid, startCallWorld, twilioPost, type CallWorld } from './helpers/call-harness.js';
import { bearer, buildTestApp, createOrg, openTestDb, type TestOrg } from './helpers/harness.js';

let db: ServiceDb;
let world: CallWorld;
let deps: ReturnType<typeof buildTestApp>['deps'];

beforeAll(async () => {
  db = openTestDb();
  world = await startCallWorld(db);
  ({ deps } = buildTestApp(db, world.config));
});
beforeEach(() => {
  world.elFake.reset();
  world.twilioFake.reset?.();
});
afterAll(async () => {
  await world.close();
  await db.end();
});

const greeting = (language = 'en') => {
  const d = disclaimerFor(language)!;
  return `${d.ai_disclosure} ${d.recording_notice} Hello!`;
};

async function createAgent(org: TestOrg, body: Record<string, unknown> = {}) {
  return request(world.app)
    .post(`/api/orgs/${org.id}/agents`)
    .set(...bearer(org.owner))
    .send({ name: 'Reception', language: 'en', first_message: greeting(), ...body });
}

const syncDeps = () => ({
  serviceDb: db,
  agentPlatform: deps.agentPlatform,
  toolKeys: { publicBaseUrl: world.config.publicBaseUrl, webhookSecret: world.config.elevenlabs.webhookSecret },
});

async function trustCheck(org: TestOrg) {
  const res = await request(world.app).get(`/api/orgs/${org.id}/trust`).set(...bearer(org.member));
  expect(res.status).toBe(200);
  return (res.body.checks as { id: string; status: string; evidence: Record<string, unknown> }[]).find((c) => c.id === 'agent_platform')!;
}

async function auditActions(orgId: string, prefix: string) {
  const rows = await db<{ action: string; metadata: Record<string, unknown> }[]>`
    select action, metadata from public.audit_logs where org_id = ${orgId} and action like ${`${prefix}%`} order by chain_index`;
  return rows.map((r) => ({ action: r.action, metadata: r.metadata }));
}

/** Makes every queued push of the organisation due now (instead of waiting out the backoff). */
async function makeDue(orgId: string) {
  await db`update app.agent_platform_sync set next_attempt_at = now() where org_id = ${orgId}`;
}

describe('agents at ElevenLabs: no voice recorded, a stop_recording tool attached', () => {
  it('creates the tool through the tools API, attaches it by tool_ids, and records no voice', async () => {
    const org = await createOrg(db, world.config);
    await db`update public.privacy_preferences set retention_days = 90 where org_id = ${org.id}`;
    const res = await createAgent(org, { language: 'de', first_message: greeting('de') });
    expect(res.status).toBe(201);
    const agent = world.elFake.agents.get(res.body.elevenlabs_agent_id);
    expect(agent.platform_settings.privacy).toMatchObject({ record_voice: false, delete_audio: true, retention_days: 90, apply_to_existing_conversations: true });

    const [row] = await db<{ elevenlabs_tool_id: string }[]>`select elevenlabs_tool_id from public.agents where id = ${res.body.id}`;
    expect(row!.elevenlabs_tool_id).toBeTruthy();
    expect(agent.conversation_config.agent.prompt.tool_ids).toEqual([row!.elevenlabs_tool_id]);
    expect(agent.conversation_config.agent.prompt.tools ?? []).toEqual([]);
    expect(agent.conversation_config.agent.prompt.prompt).toContain(STOP_RECORDING_TOOL_NAME);

    const tool = world.elFake.tools.get(row!.elevenlabs_tool_id);
    expect(tool.tool_config).toMatchObject({
      type: 'webhook',
      name: STOP_RECORDING_TOOL_NAME,
      api_schema: {
        url: `${world.config.publicBaseUrl}${STOP_RECORDING_PATH}`,
        method: 'POST',
        request_headers: { [STOP_RECORDING_SECRET_HEADER]: stopRecordingSecret(world.config.elevenlabs.webhookSecret, res.body.id) },
        request_body_schema: {
          properties: {
            call_id: { dynamic_variable: 'call_id' },
            conversation_id: { dynamic_variable: 'system__conversation_id' },
          },
        },
      },
    });
    // The tool was created through the tools API, not inline.
    expect(world.elFake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/convai/tools')).toHaveLength(1);

    const [sync] = await db`select config_version, retention_days, attempts from app.agent_platform_sync where agent_id = ${res.body.id}`;
    expect(sync).toEqual({ config_version: AGENT_CONFIG_VERSION, retention_days: 90, attempts: 0 });
    expect((await trustCheck(org)).status).toBe('pass');
  });

  it('updates the tool with the agent, makes it anew when ElevenLabs lost it, and deletes both', async () => {
    const org = await createOrg(db, world.config);
    const { body: created } = await createAgent(org);
    const [before] = await db<{ elevenlabs_tool_id: string }[]>`select elevenlabs_tool_id from public.agents where id = ${created.id}`;
    const url = `/api/orgs/${org.id}/agents/${created.id}`;

    expect((await request(world.app).patch(url).set(...bearer(org.owner)).send({ name: 'Front desk' })).status).toBe(200);
    expect(world.elFake.requests.some((r) => r.method === 'PATCH' && r.path === `/v1/convai/tools/${before!.elevenlabs_tool_id}`)).toBe(true);
    expect(world.elFake.agents.get(created.elevenlabs_agent_id).name).toBe('Front desk');

    // Someone deleted the tool at ElevenLabs: the next change gives the agent a new one.
    world.elFake.tools.delete(before!.elevenlabs_tool_id);
    expect((await request(world.app).patch(url).set(...bearer(org.owner)).send({ name: 'Desk' })).status).toBe(200);
    const [after] = await db<{ elevenlabs_tool_id: string }[]>`select elevenlabs_tool_id from public.agents where id = ${created.id}`;
    expect(after!.elevenlabs_tool_id).not.toBe(before!.elevenlabs_tool_id);
    expect(world.elFake.tools.has(after!.elevenlabs_tool_id)).toBe(true);
    expect(world.elFake.agents.get(created.elevenlabs_agent_id).conversation_config.agent.prompt.tool_ids).toEqual([after!.elevenlabs_tool_id]);

    expect((await request(world.app).delete(url).set(...bearer(org.owner))).status).toBe(204);
    expect(world.elFake.agents.has(created.elevenlabs_agent_id)).toBe(false);
    expect(world.elFake.tools.has(after!.elevenlabs_tool_id)).toBe(false);
    const [queued] = await db<{ n: number }[]>`
      select count(*)::int as n from public.provider_deletions where resource_id = ${after!.elevenlabs_tool_id}`;
    expect(queued!.n).toBe(0);
  });

  it('a tool that cannot be deleted with its agent is queued and deleted later', async () => {
    const org = await createOrg(db, world.config);
    const { body: created } = await createAgent(org);
    const [row] = await db<{ elevenlabs_tool_id: string }[]>`select elevenlabs_tool_id from public.agents where id = ${created.id}`;
    // The agent deletion goes through; the tool deletion right after it fails.
    world.elFake.failNext(1, '500', { method: 'DELETE', path: /^\/v1\/convai\/tools\// });
    const res = await request(world.app).delete(`/api/orgs/${org.id}/agents/${created.id}`).set(...bearer(org.owner));
    expect(res.status).toBe(204);
    expect(world.elFake.agents.has(created.elevenlabs_agent_id)).toBe(false);
    expect(world.elFake.tools.has(row!.elevenlabs_tool_id)).toBe(true);
    const [queued] = await db<{ status: string; reason: string }[]>`
      select status, reason from public.provider_deletions where provider = 'elevenlabs' and resource_type = 'tool' and resource_id = ${row!.elevenlabs_tool_id}`;
    expect(queued).toMatchObject({ status: 'pending', reason: 'agent_deleted' });
    const counts = await runProviderDeletions({ serviceDb: db, telephony: deps.telephony, agentPlatform: deps.agentPlatform }, {
      only: { provider: 'elevenlabs', resourceType: 'tool', resourceId: row!.elevenlabs_tool_id },
    });
    expect(counts.done).toBe(1);
    expect(world.elFake.tools.has(row!.elevenlabs_tool_id)).toBe(false);
  });

  it('a failure at ElevenLabs leaves our data unchanged and no tool behind', async () => {
    const org = await createOrg(db, world.config);
    const tools = world.elFake.tools.size;
    // The tool is created, then the agent is refused: the tool is deleted again.
    world.elFake.failNext(1, '500', { method: 'POST', path: /^\/v1\/convai\/agents\/create$/ });
    const res = await createAgent(org);
    expect(res.status).toBe(502);
    expect(world.elFake.deletedTools).toHaveLength(1);
    const [n] = await db<{ n: number }[]>`select count(*)::int as n from public.agents where org_id = ${org.id}`;
    expect(n!.n).toBe(0);
    expect(world.elFake.tools.size).toBe(tools);
  });
});

describe('the agent-platform-sync job', () => {
  it('brings an agent made before this into line: no voice, the tool, the window', async () => {
    const org = await createOrg(db, world.config);
    await db`update public.privacy_preferences set retention_days = 180 where org_id = ${org.id}`;
    // An agent as an older version created it: ElevenLabs' defaults (records voice, keeps forever), no tool.
    const externalId = 'agent_legacy_' + org.id.slice(0, 8);
    world.elFake.addAgent(externalId, { name: 'Legacy' });
    const [agent] = await db<{ id: string }[]>`
      insert into public.agents (org_id, name, language, first_message, elevenlabs_agent_id)
      values (${org.id}, 'Legacy', 'en', ${greeting()}, ${externalId}) returning id`;
    expect(world.elFake.agents.get(externalId).platform_settings.privacy.record_voice).toBe(true);
    expect((await trustCheck(org)).status).toBe('fail');

    const counts = await syncAgents(syncDeps(), { orgId: org.id });
    expect(counts).toMatchObject({ claimed: 1, pushed: 1, failed: 0 });
    const at = world.elFake.agents.get(externalId);
    expect(at.platform_settings.privacy).toMatchObject({ record_voice: false, retention_days: 180 });
    const [row] = await db<{ elevenlabs_tool_id: string }[]>`select elevenlabs_tool_id from public.agents where id = ${agent!.id}`;
    expect(at.conversation_config.agent.prompt.tool_ids).toEqual([row!.elevenlabs_tool_id]);
    expect(world.elFake.tools.get(row!.elevenlabs_tool_id).tool_config.name).toBe(STOP_RECORDING_TOOL_NAME);
    expect(await auditActions(org.id, 'agent.retention_push')).toEqual([
      { action: 'agent.retention_pushed', metadata: expect.objectContaining({ retention_days: 180, recreated: false }) },
    ]);
    expect((await trustCheck(org)).status).toBe('pass');

    // In line: the next run has nothing to do.
    expect(await syncAgents(syncDeps(), { orgId: org.id })).toMatchObject({ claimed: 0 });
  });

  it('recreates an agent ElevenLabs no longer has', async () => {
    const org = await createOrg(db, world.config);
    const [agent] = await db<{ id: string }[]>`
      insert into public.agents (org_id, name, language, first_message, elevenlabs_agent_id)
      values (${org.id}, 'Gone', 'en', ${greeting()}, 'agent_gone_missing') returning id`;
    expect(await syncAgents(syncDeps(), { orgId: org.id })).toMatchObject({ pushed: 1, recreated: 1 });
    const [row] = await db<{ elevenlabs_agent_id: string }[]>`select elevenlabs_agent_id from public.agents where id = ${agent!.id}`;
    expect(row!.elevenlabs_agent_id).not.toBe('agent_gone_missing');
    expect(world.elFake.agents.get(row!.elevenlabs_agent_id).platform_settings.privacy.record_voice).toBe(false);
  });

  it('a retention change during an ElevenLabs outage is answered 200, fails the trust check, and is pushed later', async () => {
    const org = await createOrg(db, world.config);
    const { body: a } = await createAgent(org);
    expect(world.elFake.agents.get(a.elevenlabs_agent_id).platform_settings.privacy.retention_days).toBe(30);

    world.elFake.failNext(1, '500');
    const res = await request(world.app).put(`/api/orgs/${org.id}/preferences/privacy`).set(...bearer(org.admin)).send({ retention_days: 365 });
    expect(res.status).toBe(200);
    expect(res.body.retention_days).toBe(365);
    expect(world.elFake.agents.get(a.elevenlabs_agent_id).platform_settings.privacy.retention_days).toBe(30);
    const [queued] = await db<{ attempts: number; due_in: number; last_error: string }[]>`
      select attempts, extract(epoch from next_attempt_at - now())::int as due_in, last_error
      from app.agent_platform_sync where agent_id = ${a.id}`;
    expect(queued!.attempts).toBe(1);
    expect(queued!.due_in).toBeGreaterThan(0);
    expect(queued!.last_error).toMatch(/HTTP 500/);
    expect(await auditActions(org.id, 'agent.retention_push')).toEqual([
      { action: 'agent.retention_push_failed', metadata: expect.objectContaining({ retention_days: 365, attempts: 1, provider_status: 500 }) },
    ]);
    const failing = await trustCheck(org);
    expect(failing.status).toBe('fail');
    expect(failing.evidence).toMatchObject({ out_of_line: 1, failing: 1 });

    // Not due yet: the backoff holds.
    expect(await syncAgents(syncDeps(), { orgId: org.id })).toMatchObject({ claimed: 0 });
    // Once due, the job pushes it.
    await makeDue(org.id);
    expect(await syncAgents(syncDeps(), { orgId: org.id })).toMatchObject({ pushed: 1, failed: 0 });
    expect(world.elFake.agents.get(a.elevenlabs_agent_id).platform_settings.privacy.retention_days).toBe(365);
    expect((await auditActions(org.id, 'agent.retention_push')).map((r) => r.action)).toEqual(['agent.retention_push_failed', 'agent.retention_pushed']);
    expect((await trustCheck(org)).status).toBe('pass');
  });

  it('users cannot see or forge what ElevenLabs confirmed (app.agent_platform_sync is not in the Data API)', async () => {
    const org = await createOrg(db, world.config);
    const { body: a } = await createAgent(org);
    const attempt = (sql: string) =>
      db.begin(async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: org.owner.id, role: 'authenticated' })}, true)`;
        await tx.unsafe('set local role authenticated');
        return tx.unsafe(sql);
      });
    await expect(attempt(`select * from app.agent_platform_sync where agent_id = '${a.id}'`)).rejects.toThrow(/permission denied/);
    await expect(attempt(`update app.agent_platform_sync set retention_days = 1 where agent_id = '${a.id}'`)).rejects.toThrow(/permission denied/);
  });
});

describe('no call without consent reaches an agent that records voice', () => {
  it('for every agent the backend created at the fake, and every consent outcome, no audio is ever stored', async () => {
    const lineAsked = await createAgentLine(db, world, { dtmfConsent: true });
    const lineNotAsked = await createAgentLine(db, world, { dtmfConsent: false });
    const outcomes: [string, (string | undefined)[]][] = [
      ['given', ['1']],
      ['refused', ['2']],
      ['silent', [undefined, undefined]],
      ['invalid', ['7', '9']],
    ];
    for (const [, digits] of outcomes) {
      const CallSid = newCallSid();
      await twilioPost(world, '/webhooks/twilio/voice', { CallSid, From: '+4930123456789', To: lineAsked.number, FromCountry: 'DE' }).expect(200);
      for (const [i, d] of digits.entries()) {
        await twilioPost(world, `/webhooks/twilio/consent?attempt=${i + 1}`, { CallSid, ...(d ? { Digits: d } : {}) }).expect(200);
      }
    }
    const CallSid = newCallSid();
    await twilioPost(world, '/webhooks/twilio/voice', { CallSid, From: '+353861234567', To: lineNotAsked.number }).expect(200);

    expect(world.elFake.registeredCalls).toHaveLength(5);
    const recordedAgents = new Set<string>();
    for (const [id, agent] of world.elFake.agents) if (agent.platform_settings.privacy.record_voice !== false) recordedAgents.add(id);
    const calls = await db<{ consent_state: string; recording_allowed: boolean }[]>`
      select consent_state, recording_allowed from public.calls where to_number in (${lineAsked.number}, ${lineNotAsked.number})`;
    expect(calls.map((c) => c.consent_state).sort()).toEqual(['given', 'not_required', 'refused', 'refused', 'refused']);
    for (const registered of world.elFake.registeredCalls) expect(recordedAgents.has(registered.agent_id)).toBe(false);
    for (const conversationId of world.elFake.conversations.keys()) world.elFake.endConversation(conversationId);
    expect([...world.elFake.everStoredAudio]).toEqual([]);
  });
});
