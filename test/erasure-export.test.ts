import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import {
  createAgentLine,
  elevenLabsSignature,
  newCallSid,
  postCallBody,
  startCallWorld,
  twilioPost,
  waitFor,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { bearer, openIsolatedTestDb } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let smtp: TestSmtp;
let deps: ReturnType<typeof buildAppDeps>;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  world = await startCallWorld(db, { SMTP_URL: smtp.url });
  deps = buildAppDeps(world.config, db);
});
afterAll(async () => {
  await world.close();
  await smtp.close();
  await isolated.close();
});

let seq = 0;
/** A person who called `line` and left their e-mail with the agent: a call, consent, recording, transcript, lead. */
async function personCalls(line: AgentLine, phone: string, email: string) {
  const sid = newCallSid();
  await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: phone, To: line.number, FromCountry: 'DE' });
  await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, Digits: '1' });
  const rec = await waitFor(() => [...world.twilioFake.recordings.values()].find((r) => r.callSid === sid), 'recording');
  await twilioPost(world, '/webhooks/twilio/recording', { CallSid: sid, RecordingSid: rec.sid, RecordingStatus: 'completed', RecordingDuration: '12' });
  const [call] = await db`select id from public.calls where twilio_call_sid = ${sid}`;
  const conversationId = `conv_er_${Date.now()}_${seq++}`;
  world.elFake.addConversation(conversationId, line.externalAgentId);
  const body = postCallBody(call!.id as string, conversationId, {
    analysis: { data_collection_results: { name: { value: 'Erika Mustermann' }, email: { value: email } } },
  });
  const res = await request(world.app)
    .post('/webhooks/elevenlabs/post-call')
    .set('content-type', 'application/json')
    .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
    .send(body);
  expect(res.body.status).toBe('stored');
  return { callId: call!.id as string, recordingSid: rec.sid, conversationId };
}

async function personalRows(orgId: string, phone: string, email: string) {
  const ph = keyedHash(world.config.blindIndexKey, 'phone', phone);
  const eh = keyedHash(world.config.blindIndexKey, 'email', email);
  const [row] = await db`
    select
      (select count(*)::int from public.calls where org_id = ${orgId} and (from_hash = ${ph} or from_number = ${phone})) as calls,
      (select count(*)::int from public.leads where org_id = ${orgId} and (phone_hash = ${ph} or email_hash = ${eh} or email = ${email})) as leads,
      (select count(*)::int from public.transcripts t join public.calls c on c.id = t.call_id where c.org_id = ${orgId} and c.erased_at is null) as transcripts,
      (select count(*)::int from public.call_consents where org_id = ${orgId} and caller_hash = ${ph}) as consents`;
  return row!;
}

const uniquePhone = () => `+4930${Math.floor(Math.random() * 9e8 + 1e8)}`;

describe('export', () => {
  it('returns everything held on one person, decrypted and audited, for owners and admins only', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const phone = uniquePhone();
    const email = `erika-${Date.now()}@example.test`;
    const call = await personCalls(line, phone, email);
    await personCalls(line, uniquePhone(), `someone-else-${Date.now()}@example.test`);

    expect((await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.member)).send({ phone })).status).toBe(403);
    for (const subject of [{ phone }, { email }]) {
      const res = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.admin)).send(subject);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ format_version: 1, subject: { type: Object.keys(subject)[0] }, organization: { id: line.org.id } });
      expect(res.body.data.calls.map((c: { id: string }) => c.id)).toEqual([call.callId]);
      expect(res.body.data.calls[0].from_number).toBe(phone);
      expect(res.body.data.leads).toHaveLength(1);
      expect(res.body.data.transcripts[0].turns).toHaveLength(2);
      expect(res.body.data.consents[0]).toMatchObject({ digit: '1', outcome: 'given' });
      expect(res.body.data.recordings[0]).toMatchObject({ twilio_recording_sid: call.recordingSid });
    }
    const audits = await db`select metadata from public.audit_logs where org_id = ${line.org.id} and action = 'export.created'`;
    expect(audits).toHaveLength(2);
    expect(JSON.stringify(audits)).not.toContain(phone);
    expect(JSON.stringify(audits)).not.toContain(email);

    const whole = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({});
    expect(whole.body.counts).toMatchObject({ calls: 2, leads: 2, members: 3, agents: 1, phone_numbers: 1 });
    expect((await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({ phone: 'x' })).status).toBe(400);
  });
});

describe('erasure', () => {
  it('dashboard: erases the person from that organisation and at both providers, leaves the other organisation alone', async () => {
    const a = await createAgentLine(db, world, { dtmfConsent: true });
    const b = await createAgentLine(db, world, { dtmfConsent: true });
    const phone = uniquePhone();
    const email = `max-${Date.now()}@example.test`;
    const inA = await personCalls(a, phone, email);
    await personCalls(b, phone, email);

    expect((await request(world.app).post(`/api/orgs/${a.org.id}/erasure-requests`).set(...bearer(a.org.member)).send({ phone })).status).toBe(403);
    const res = await request(world.app).post(`/api/orgs/${a.org.id}/erasure-requests`).set(...bearer(a.org.admin)).send({ phone });
    expect(res.status).toBe(202);
    const dueIn = new Date(res.body.due_at).getTime() - new Date(res.body.received_at).getTime();
    expect(dueIn / 86_400_000).toBeGreaterThanOrEqual(28);
    expect(dueIn / 86_400_000).toBeLessThanOrEqual(31);

    expect(await personalRows(a.org.id, phone, email)).toEqual({ calls: 0, leads: 0, transcripts: 0, consents: 0 });
    expect(await personalRows(b.org.id, phone, email)).toEqual({ calls: 1, leads: 1, transcripts: 1, consents: 1 });
    await waitFor(() => world.twilioFake.deletedRecordings.includes(inA.recordingSid), 'recording deletion');
    await waitFor(() => world.elFake.deletedConversations.includes(inA.conversationId), 'conversation deletion');

    const list = await waitFor(async () => {
      const r = await request(world.app).get(`/api/orgs/${a.org.id}/erasure-requests`).set(...bearer(a.org.owner));
      const req0 = r.body.erasure_requests.find((x: { id: string }) => x.id === res.body.id);
      return req0?.status === 'completed' ? req0 : undefined;
    }, 'the request to complete');
    expect(list.receipts.map((x: { provider: string; status: string }) => [x.provider, x.status]).sort()).toEqual([
      ['elevenlabs', 'done'],
      ['twilio', 'done'],
    ]);
    const [audit] = await db`select metadata from public.audit_logs where org_id = ${a.org.id} and action = 'erasure.executed' and target_id = ${res.body.id}`;
    expect(audit!.metadata.subject_hash).toBe(keyedHash(world.config.blindIndexKey, 'phone', phone).toString('hex'));
    expect(JSON.stringify(audit)).not.toContain(phone);
  });

  it('clears the keyed hash from the records of the person\'s exports, which stay: in the organisation asked, or everywhere for a public request', async () => {
    const a = await createAgentLine(db, world, { dtmfConsent: true });
    const b = await createAgentLine(db, world, { dtmfConsent: true });
    const phone = uniquePhone();
    const email = `exported-${Date.now()}@example.test`;
    await personCalls(a, phone, email);
    await personCalls(b, phone, email);
    const hash = keyedHash(world.config.blindIndexKey, 'email', email);
    const exportOf = async (line: AgentLine) => {
      const res = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.admin)).send({ email });
      expect(res.status).toBe(200);
      return res.body.export_id as string;
    };
    const exportRow = async (id: string) => {
      const [row] = await db`select subject_type, subject_hash, counts from public.exports where id = ${id}`;
      return row!;
    };
    const inA = await exportOf(a);
    const inB = await exportOf(b);
    expect((await exportRow(inA)).subject_hash).toEqual(hash);

    const res = await request(world.app).post(`/api/orgs/${a.org.id}/erasure-requests`).set(...bearer(a.org.admin)).send({ email });
    expect(res.status).toBe(202);
    // The record that the export was made stays, with its counts; it no longer points at the person.
    expect(await exportRow(inA)).toMatchObject({ subject_type: 'email', subject_hash: null, counts: { calls: 1, leads: 1 } });
    expect((await exportRow(inB)).subject_hash).toEqual(hash);
    expect(await db`select 1 from public.exports where subject_hash = ${hash} and org_id = ${a.org.id}`).toHaveLength(0);

    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'email', value: email }, contactEmail: null });
    await deps.erasure.confirmPublicRequest(filed.id);
    expect(await exportRow(inB)).toMatchObject({ subject_type: 'email', subject_hash: null, counts: { calls: 1, leads: 1 } });
    expect(await db`select 1 from public.exports where subject_hash = ${hash}`).toHaveLength(0);
  });

  it('public: a confirmed request erases everywhere and the requester is told when the providers are done', async () => {
    const a = await createAgentLine(db, world, { dtmfConsent: true });
    const b = await createAgentLine(db, world, { dtmfConsent: false });
    const phone = uniquePhone();
    const email = `public-${Date.now()}@example.test`;
    await personCalls(a, phone, email);
    await personCalls(b, phone, email);
    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'email', value: email }, contactEmail: email });
    expect(filed.status).toBe('pending_confirmation');
    expect(await personalRows(a.org.id, phone, email)).toMatchObject({ leads: 1 });
    await deps.erasure.confirmPublicRequest(filed.id);
    for (const org of [a.org.id, b.org.id]) expect(await personalRows(org, phone, email)).toEqual({ calls: 0, leads: 0, transcripts: 0, consents: 0 });
    await deps.erasure.workProviders();
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('complete'));
    expect(mail.text).toContain(filed.id);
    // The e-mail goes out before its row is marked, so wait for whichever worker sent it to commit.
    const row = await waitFor(async () => {
      const [r] = await db`select status, contact_email, completion_notified_at is not null as notified from public.erasure_requests where id = ${filed.id}`;
      return r?.notified ? r : undefined;
    }, 'the request to be marked notified');
    expect(row).toEqual({ status: 'completed', contact_email: null, notified: true });
    expect(smtp.messages.filter((m) => m.to.includes(email) && m.subject.includes('complete'))).toHaveLength(1);
    // Confirming again changes nothing.
    expect((await deps.erasure.confirmPublicRequest(filed.id)).status).toBe('completed');
  });

  it('a provider outage delays the erasure, loses nothing and deletes nothing twice; endless failure flags it and tells the DPO', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const phone = uniquePhone();
    const email = `outage-${Date.now()}@example.test`;
    const c = await personCalls(line, phone, email);
    world.twilioFake.failNext(3, '500');
    world.elFake.failNext(3, '500');
    const res = await request(world.app).post(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.owner)).send({ email });
    expect(res.status).toBe(202);
    const pending = await waitFor(async () => {
      const rows = await db`select status, attempts from public.provider_deletions where erasure_request_id = ${res.body.id}`;
      return rows.length === 2 && rows.every((r) => r.attempts >= 1) ? rows : undefined;
    }, 'first attempts');
    expect(pending.every((r) => r.status === 'pending')).toBe(true);
    // Time passes: retries become due, the providers recover after their failures run out.
    for (let i = 0; i < 5; i += 1) {
      await db`update public.provider_deletions set next_attempt_at = now() where erasure_request_id = ${res.body.id} and status = 'pending'`;
      await deps.erasure.workProviders();
    }
    const [req] = await db`select status from public.erasure_requests where id = ${res.body.id}`;
    expect(req!.status).toBe('completed');
    expect(world.twilioFake.deletedRecordings.filter((s) => s === c.recordingSid)).toHaveLength(1);
    expect(world.elFake.deletedConversations.filter((s) => s === c.conversationId)).toHaveLength(1);

    // A deletion that never succeeds: flagged for a person, the DPO told, never dropped.
    const other = await personCalls(line, uniquePhone(), `doomed-${Date.now()}@example.test`);
    world.twilioFake.failNext(1000, '500');
    const [callRow] = await db`select from_number from public.calls where id = ${other.callId}`;
    const res2 = await request(world.app).post(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.owner)).send({ phone: callRow!.from_number });
    for (let i = 0; i < 14; i += 1) {
      await db`update public.provider_deletions set next_attempt_at = now() where erasure_request_id = ${res2.body.id} and status = 'pending'`;
      await deps.erasure.workProviders();
    }
    world.twilioFake.reset();
    const [flagged] = await db`select status, flag_reason from public.erasure_requests where id = ${res2.body.id}`;
    expect(flagged!.status).toBe('flagged');
    await smtp.waitFor((m) => m.to.includes(world.config.dpoEmail) && m.subject.includes(res2.body.id));
    const [receipt] = await db`select status, attempts, last_error from public.provider_deletions where erasure_request_id = ${res2.body.id} and provider = 'twilio'`;
    expect(receipt).toMatchObject({ status: 'failed', attempts: 12 });
  });

  it('pages the DPO once about a request within five days of its deadline; extensions only before the deadline and with the requester told', async () => {
    // A confirmed request still being worked, three days before its deadline.
    const [filed] = await db<{ id: string }[]>`
      insert into public.erasure_requests (source, subject_type, subject_hash, contact_email, status, received_at, confirmed_at, due_at)
      values ('public', 'phone', ${keyedHash(world.config.blindIndexKey, 'phone', uniquePhone())}, 'req@example.test', 'confirmed',
              now() - interval '27 days', now() - interval '27 days', now() + interval '3 days')
      returning id`;
    if (!filed) throw new Error('no request');
    const first = await deps.erasure.pageDueSoon();
    expect(first.paged).toBeGreaterThanOrEqual(1);
    await smtp.waitFor((m) => m.to.includes(world.config.dpoEmail) && m.subject.includes(filed.id));
    const before = smtp.messages.filter((m) => m.subject.includes(filed.id)).length;
    await deps.erasure.pageDueSoon();
    expect(smtp.messages.filter((m) => m.subject.includes(filed.id)).length).toBe(before);

    const ext = await deps.erasure.extend(filed.id, 2, 'We are waiting for a processor to confirm deletion.');
    expect(new Date(ext.extended_until).getTime() - new Date(ext.due_at).getTime()).toBeGreaterThan(55 * 86_400_000);
    await smtp.waitFor((m) => m.to.includes('req@example.test') && m.text.includes('waiting for a processor'));

    const [late] = await db<{ id: string }[]>`
      insert into public.erasure_requests (source, subject_type, subject_hash, contact_email, status, confirmed_at, due_at)
      values ('public', 'phone', ${keyedHash(world.config.blindIndexKey, 'phone', uniquePhone())}, 'late@example.test', 'confirmed',
              now() - interval '31 days', now() - interval '1 minute')
      returning id`;
    if (!late) throw new Error('no request');
    await expect(deps.erasure.extend(late.id, 1, 'Reasons given far too late.')).rejects.toMatchObject({ code: 'extension_too_late' });
    await expect(deps.erasure.extend(late.id, 3, 'Three months is more than the law allows.')).rejects.toMatchObject({ status: 422 });
  });
});

describe('extensions and expiry through the API', () => {
  it('an owner extends a dashboard request by telling the requester at an address they give; an operator extends a public one', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const filed = await request(world.app).post(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.owner)).send({ phone: uniquePhone() });
    const url = `/api/orgs/${line.org.id}/erasure-requests/${filed.body.id}/extension`;
    // Completed already (nothing to erase): closed.
    expect((await request(world.app).post(url).set(...bearer(line.org.owner)).send({ months: 1, reason: 'Waiting for the processor.' })).status).toBe(409);
    await db`update public.erasure_requests set status = 'in_progress', completed_at = null where id = ${filed.body.id}`;
    const noAddress = await request(world.app).post(url).set(...bearer(line.org.owner)).send({ months: 1, reason: 'Waiting for the processor.' });
    expect(noAddress.status).toBe(422);
    expect(noAddress.body.error.code).toBe('requester_unreachable');
    expect((await request(world.app).post(url).set(...bearer(line.org.member)).send({ months: 1, reason: 'Waiting for the processor.', requester_email: 'p@example.test' })).status).toBe(403);
    const ok = await request(world.app).post(url).set(...bearer(line.org.owner)).send({ months: 1, reason: 'Waiting for the processor to confirm.', requester_email: 'person@example.test' });
    expect(ok.status).toBe(200);
    await smtp.waitFor((m) => m.to.includes('person@example.test') && m.text.includes('Waiting for the processor to confirm.'));
    const [row] = await db`select contact_email, extension_notified_at is not null as told from public.erasure_requests where id = ${filed.body.id}`;
    expect(row).toEqual({ contact_email: null, told: true });

    const operator = await (await import('./helpers/harness.js')).createUser(db, world.config, { operator: true });
    const [pub] = await db<{ id: string }[]>`
      insert into public.erasure_requests (source, subject_type, contact_email, status, confirmed_at, due_at)
      values ('public', 'email', 'pub@example.test', 'in_progress', now(), now() + interval '20 days') returning id`;
    const adminExt = await request(world.app).post(`/api/admin/erasure-requests/${pub!.id}/extension`).set(...bearer(operator)).send({ months: 2, reason: 'A large volume of recordings to delete.' });
    expect(adminExt.status).toBe(200);
    expect((await request(world.app).post(`/api/admin/erasure-requests/${pub!.id}/extension`).set(...bearer(line.org.owner)).send({ months: 2, reason: 'A large volume of recordings.' })).status).toBe(403);
  });

  it('public requests never confirmed are cancelled after two days and their address forgotten', async () => {
    const [old] = await db<{ id: string }[]>`
      insert into public.erasure_requests (source, subject_type, contact_email, status, received_at, due_at)
      values ('public', 'email', 'never@example.test', 'pending_confirmation', now() - interval '3 days', now() + interval '27 days') returning id`;
    const fresh = await deps.erasure.filePublicRequest({ subject: { type: 'email', value: 'fresh@example.test' }, contactEmail: 'fresh@example.test' });
    const { expired } = await deps.erasure.expireUnconfirmed();
    expect(expired).toBeGreaterThanOrEqual(1);
    const rows = await db`select id, status, contact_email from public.erasure_requests where id in (${old!.id}, ${fresh.id})`;
    expect(rows.find((r) => r.id === old!.id)).toMatchObject({ status: 'cancelled', contact_email: null });
    expect(rows.find((r) => r.id === fresh.id)).toMatchObject({ status: 'pending_confirmation' });
  });
});

describe('account deletion', () => {
  it('owner only; removes the organisation and its agents, recordings and conversations at the providers', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const c = await personCalls(line, uniquePhone(), `acct-${Date.now()}@example.test`);
    expect((await request(world.app).delete(`/api/orgs/${line.org.id}`).set(...bearer(line.org.admin))).status).toBe(403);
    const res = await request(world.app).delete(`/api/orgs/${line.org.id}`).set(...bearer(line.org.owner));
    expect(res.status).toBe(202);
    expect(await db`select 1 from public.organizations where id = ${line.org.id}`).toHaveLength(0);
    expect(await db`select 1 from public.calls where org_id = ${line.org.id}`).toHaveLength(0);
    expect(await db`select 1 from public.call_consents where org_id = ${line.org.id} and caller_hash is not null`).toHaveLength(0);
    await waitFor(() => world.elFake.deletedAgents.includes(line.externalAgentId), 'agent deletion');
    await waitFor(() => world.twilioFake.deletedRecordings.includes(c.recordingSid), 'recording deletion');
    await waitFor(() => world.elFake.deletedConversations.includes(c.conversationId), 'conversation deletion');
    const [audit] = await db`select action from public.audit_logs where org_id = ${line.org.id} and action = 'organization.deleted'`;
    expect(audit).toBeDefined();
    expect((await request(world.app).get(`/api/orgs/${line.org.id}`).set(...bearer(line.org.owner))).status).toBe(404);
  });
});
