import { randomInt, randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { ISO_COUNTRIES } from '../src/lib/countries.js';
import { keyedHash } from '../src/lib/crypto.js';
import {
  createAgentLine,
  elevenLabsSignature,
  newCallSid,
  postCallBody,
  startCallWorld,
  twilioPost,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { bearer, createOrg, createUser, openIsolatedTestDb } from './helpers/harness.js';

// Finding 11: a person is found whichever way their number is written, and the
// answers say when nobody was found. Numbers are read with libphonenumber-js in
// the organisation's country (its own, else its first phone number's).

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db, { TWILIO_SMS_FROM: '+35315550100' });
});
afterAll(async () => {
  await world.close();
  await isolated.close();
});

/** A German mobile number nobody else in this run uses (0151 and eight digits). */
const germanMobile = () => `+49151${randomInt(10_000_000, 99_999_999)}`;
/** An Irish mobile number (087 and seven digits). */
const irishMobile = () => `+35387${randomInt(1_000_000, 9_999_999)}`;

/** The ways people write a German mobile number: 0049…, +49 (0)…, and national 0151…. */
function germanSpellings(e164: string): string[] {
  const rest = e164.slice(3); // 151…
  return [`0049 ${rest.slice(0, 3)} ${rest.slice(3)}`, `+49 (0) ${rest.slice(0, 3)} ${rest.slice(3)}`, `0${rest.slice(0, 3)} ${rest.slice(3)}`];
}

/** A call from `from` to the line, connected and recorded, and its post-call webhook (a lead). */
async function personCalls(line: AgentLine, from: string, fromCountry?: string): Promise<string> {
  const sid = newCallSid();
  const voice = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: from, To: line.number, ...(fromCountry ? { FromCountry: fromCountry } : {}) });
  expect(voice.status).toBe(200);
  const [call] = await db`select id from public.calls where twilio_call_sid = ${sid}`;
  const conversationId = `conv_ph_${randomUUID().replace(/-/g, '')}`;
  world.elFake.addConversation(conversationId, line.externalAgentId);
  const body = postCallBody(call!.id as string, conversationId);
  const res = await request(world.app)
    .post('/webhooks/elevenlabs/post-call')
    .set('content-type', 'application/json')
    .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
    .send(body);
  expect(res.body.status).toBe('stored');
  return call!.id as string;
}

const setCountry = (line: AgentLine, country: string | null) =>
  request(world.app).patch(`/api/orgs/${line.org.id}`).set(...bearer(line.org.owner)).send({ country });
const exportOf = (line: AgentLine, phone: string) =>
  request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.admin)).send({ phone });
const erase = (line: AgentLine, phone: string) =>
  request(world.app).post(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.admin)).send({ phone });

describe('finding 11: the same person, however the number is written', () => {
  it('0049 151…, +49 (0) 151… and 0151… all find the caller of +49151… in an organisation whose country is DE', async () => {
    // The line is an Irish number: without the organisation's country, 0151… would be read in Ireland.
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    expect((await setCountry(line, 'DE')).body).toMatchObject({ country: 'DE', phone_country: 'DE' });
    const number = germanMobile();
    const callId = await personCalls(line, number, 'DE');
    await personCalls(line, germanMobile(), 'DE'); // someone else

    // Every place stores and hashes the E.164 form.
    const hash = keyedHash(world.config.blindIndexKey, 'phone', number);
    const [call] = await db`select from_number, from_hash from public.calls where id = ${callId}`;
    expect(call).toEqual({ from_number: number, from_hash: hash });
    const [lead] = await db`select phone, phone_hash from public.leads where call_id = ${callId}`;
    expect(lead).toEqual({ phone: number, phone_hash: hash });

    for (const spelling of germanSpellings(number)) {
      const res = await exportOf(line, spelling);
      expect(res.status, spelling).toBe(200);
      expect(res.body.data.calls.map((c: { id: string }) => c.id), spelling).toEqual([callId]);
      expect(res.body.data.leads, spelling).toHaveLength(1);
      expect(res.body.found, spelling).toBe(true);
    }

    const [national, ...others] = germanSpellings(number).reverse();
    const erased = await erase(line, national!);
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ found: true, counts: { calls_scrubbed: 1, leads_deleted: 1, transcripts_deleted: 1 } });
    expect(await db`select 1 from public.calls where id = ${callId} and from_hash is not null`).toHaveLength(0);
    // Erased: the other spellings now find nothing, and say so.
    for (const spelling of others) {
      const again = await erase(line, spelling);
      expect(again.status, spelling).toBe(202);
      expect(again.body.found, spelling).toBe(false);
    }
  });
});

describe('nothing found', () => {
  it('a dashboard erasure that finds nobody answers found: false with zero counts, and the list says so', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const someone = await erase(line, germanMobile());
    expect(someone.status).toBe(202);
    expect(someone.body.found).toBe(false);
    expect(someone.body.status).toBe('nothing_found');
    expect(someone.body.counts).toEqual({
      calls_scrubbed: 0,
      leads_deleted: 0,
      transcripts_deleted: 0,
      recordings_deleted: 0,
      consents_scrubbed: 0,
      provider_deletions_queued: 0,
      organizations: 0,
    });
    const caller = irishMobile();
    await personCalls(line, caller);
    const found = await erase(line, caller);
    expect(found.body.found).toBe(true);
    expect(found.body.status).not.toBe('nothing_found');
    const byEmail = await request(world.app).post(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.owner)).send({ email: `nobody-${randomUUID()}@example.test` });
    expect(byEmail.body.found).toBe(false);

    const list = await request(world.app).get(`/api/orgs/${line.org.id}/erasure-requests`).set(...bearer(line.org.owner));
    const byId = new Map(list.body.erasure_requests.map((r: { id: string; found: boolean | null }) => [r.id, r.found]));
    expect([byId.get(someone.body.id), byId.get(found.body.id), byId.get(byEmail.body.id)]).toEqual([false, true, false]);
    const shown = new Map(list.body.erasure_requests.map((r: { id: string; status: string }) => [r.id, r.status]));
    expect(shown.get(someone.body.id)).toBe('nothing_found');
    expect(shown.get(byEmail.body.id)).toBe('nothing_found');
    expect(shown.get(found.body.id)).not.toBe('nothing_found');
  });

  it('an export of a person we hold nothing on says found: false', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const res = await exportOf(line, irishMobile());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject: { type: 'phone' }, found: false, counts: { calls: 0, leads: 0 } });
    const whole = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({});
    expect(whole.body).not.toHaveProperty('found');
  });
});

describe("the organisation's country", () => {
  it('defaults to the country of its first phone number; its own country wins once set', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false }); // an Irish number
    // A later German number does not change which number is first.
    await db`insert into public.phone_numbers (org_id, e164, created_at) values (${line.org.id}, ${`+4930${randomInt(100_000_000, 999_999_999)}`}, now() + interval '1 minute')`;
    const org = await request(world.app).get(`/api/orgs/${line.org.id}`).set(...bearer(line.org.member));
    expect(org.body).toMatchObject({ country: null, phone_country: 'IE' });

    const irish = irishMobile();
    const callId = await personCalls(line, irish);
    const national = `0${irish.slice(4, 6)} ${irish.slice(6)}`; // 087 …
    const found = await exportOf(line, national);
    expect(found.status).toBe(200);
    expect(found.body.data.calls.map((c: { id: string }) => c.id)).toEqual([callId]);

    // With the country set to DE, the same digits are read in Germany (and are no number there).
    await setCountry(line, 'DE');
    const inGermany = await exportOf(line, national);
    expect(inGermany.body.found).not.toBe(true);
    // Unset again: back to the first number's country.
    const unset = await setCountry(line, null);
    expect(unset.body).toMatchObject({ country: null, phone_country: 'IE' });
    expect((await exportOf(line, national)).body.found).toBe(true);
  });

  it('without a country or a phone number, a national number is refused with invalid_phone, never a silent miss', async () => {
    const org = await createOrg(db, world.config);
    for (const [path, body] of [
      ['erasure-requests', { phone: '0151 23456789' }],
      ['exports', { phone: '030 1234567' }],
    ] as const) {
      const res = await request(world.app).post(`/api/orgs/${org.id}/${path}`).set(...bearer(org.owner)).send(body);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: 'invalid_phone', details: { field: 'phone', reason: 'needs_country' } });
      expect(res.body.error.message).toMatch(/international format/);
    }
    expect(await db`select 1 from public.erasure_requests where org_id = ${org.id}`).toHaveLength(0);
    // International numbers are read anyway; garbage is refused the same way.
    expect((await request(world.app).post(`/api/orgs/${org.id}/erasure-requests`).set(...bearer(org.owner)).send({ phone: '+49 151 23456789' })).status).toBe(202);
    const garbage = await request(world.app).post(`/api/orgs/${org.id}/exports`).set(...bearer(org.owner)).send({ phone: '+49 151 2345678901234' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toMatchObject({ code: 'invalid_phone', details: { reason: 'invalid' } });
    // A member is refused for their role before their input is read.
    expect((await request(world.app).post(`/api/orgs/${org.id}/exports`).set(...bearer(org.member)).send({ phone: 'nonsense' })).status).toBe(403);
  });

  it('POST and PATCH /api/orgs set it; a code that is not ISO 3166 alpha-2 is a 400', async () => {
    const user = await createUser(db, world.config);
    for (const country of ['XX', 'DEU', 'UK', 'EU', 'D', '', 12]) {
      const res = await request(world.app).post('/api/orgs').set(...bearer(user)).send({ name: 'Praxis', country });
      expect(res.status, String(country)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const created = await request(world.app).post('/api/orgs').set(...bearer(user)).send({ name: 'Praxis Wien', country: 'at' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Praxis Wien', country: 'AT', phone_country: 'AT', role: 'owner' });
    const orgId = created.body.id as string;
    const [createdAudit] = await db`select metadata from public.audit_logs where org_id = ${orgId} and action = 'organization.created'`;
    expect(createdAudit!.metadata).toEqual({ country: 'AT' });

    const url = `/api/orgs/${orgId}`;
    for (const body of [{}, { country: 'ZZ' }, { country: 'de-DE' }, { name: '' }, { name: 'X', owner: 'me' }]) {
      const res = await request(world.app).patch(url).set(...bearer(user)).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const patched = await request(world.app).patch(url).set(...bearer(user)).send({ country: 'CH', name: 'Praxis Zürich' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: orgId, name: 'Praxis Zürich', country: 'CH', phone_country: 'CH', role: 'owner' });
    expect((await request(world.app).get(url).set(...bearer(user))).body).toMatchObject({ country: 'CH' });
    const listed = await request(world.app).get('/api/orgs').set(...bearer(user));
    expect(listed.body.organizations.find((o: { id: string }) => o.id === orgId)).toMatchObject({ country: 'CH', phone_country: 'CH' });
    // Audited without the free-text name; a change that changes nothing writes nothing.
    await request(world.app).patch(url).set(...bearer(user)).send({ country: 'CH' });
    const audits = await db`select actor_id, metadata from public.audit_logs where org_id = ${orgId} and action = 'organization.updated'`;
    expect(audits.map((a) => ({ ...a }))).toEqual([{ actor_id: user.id, metadata: { changed: ['name', 'country'], country: 'CH' } }]);

    // The database holds the same rule, whatever path a write takes.
    await expect(db`update public.organizations set country = 'XX' where id = ${orgId}`).rejects.toMatchObject({ code: '23514' });
    await expect(db`update public.organizations set country = 'ch' where id = ${orgId}`).rejects.toMatchObject({ code: '23514' });
  });

  it('agents take their number in national format too, read in the organisation country', async () => {
    const org = await createOrg(db, world.config);
    await request(world.app).patch(`/api/orgs/${org.id}`).set(...bearer(org.owner)).send({ country: 'DE' });
    const subscriber = String(randomInt(10_000_000, 99_999_999));
    const { disclaimerFor } = await import('../src/agents/disclaimer-catalogue.js');
    const d = disclaimerFor('de')!;
    const res = await request(world.app)
      .post(`/api/orgs/${org.id}/agents`)
      .set(...bearer(org.owner))
      .send({ name: 'Empfang', language: 'de', first_message: `${d.ai_disclosure} ${d.recording_notice}`, phone_number: `030 ${subscriber}` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.phone_number).toBe(`+4930${subscriber}`);
    const bad = await request(world.app).patch(`/api/orgs/${org.id}/agents/${res.body.id}`).set(...bearer(org.owner)).send({ phone_number: '12' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_phone', details: { field: 'phone_number' } });
  });
});

describe('numbers from Twilio', () => {
  it('the caller country comes from the number for any country (a UK caller is GB)', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const sid = newCallSid();
    // 07700 900… is Ofcom's range for drama: not a valid number, still a UK one.
    await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: '+44 7700 900123', To: line.number });
    const [call] = await db`select caller_country, from_number from public.calls where twilio_call_sid = ${sid}`;
    expect(call).toEqual({ caller_country: 'GB', from_number: '+447700900123' });
  });

  it('a caller id that is no number is kept as sent, with no keyed hash', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const sids = [newCallSid(), newCallSid()];
    for (const sid of sids) await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: 'anonymous', To: line.number });
    const rows = await db`select from_number, from_hash, caller_country from public.calls where twilio_call_sid = any(${sids})`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { from_number: 'anonymous', from_hash: null, caller_country: null },
      { from_number: 'anonymous', from_hash: null, caller_country: null },
    ]);
  });
});

describe('forget-me: no organisation, so no country', () => {
  it('a number in national format gets the form again, asking for the country code in the page language', async () => {
    const de = await request(world.app).post('/forget-me').type('form').set('Accept', 'text/html').send({ phone: '0151 23456789', lang: 'de' });
    expect(de.status).toBe(400);
    expect(de.text).toContain('Bitte geben Sie eine Telefonnummer mit Ländervorwahl ein');
    expect(de.text).toContain('value="0151 23456789"');
    const en = await request(world.app).post('/forget-me').send({ phone: '0151 23456789' });
    expect(en.status).toBe(400);
    expect(en.body.error).toMatchObject({ code: 'invalid_phone', details: { reason: 'needs_country' } });
  });
});

describe('the list of countries', () => {
  it('the database accepts exactly the codes of src/lib/countries.ts', async () => {
    const [row] = await db`
      select coalesce(string_agg(c, ' ' order by c), '') as codes
      from (select chr(a) || chr(b) as c from generate_series(65, 90) a, generate_series(65, 90) b) x
      where app.is_iso_country(c)`;
    expect(row!.codes).toBe([...ISO_COUNTRIES].sort().join(' '));
    expect(ISO_COUNTRIES).toHaveLength(249);
  });
});
