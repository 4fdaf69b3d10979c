import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUnrecordedFirstMessage, consentPrompt, disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
import type { ServiceDb } from '../src/db/database.js';
import {
  createAgentLine,
  newCallSid,
  sleep,
  startCallWorld,
  twilioPost,
  waitFor,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { bearer, openIsolatedTestDb } from './helpers/harness.js';

type Scope = 'listed_countries' | 'all_callers';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
const lines = {} as Record<Scope, AgentLine>;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db);
  for (const scope of ['listed_countries', 'all_callers'] as const) {
    lines[scope] = await createAgentLine(db, world, { dtmfConsent: true });
    await setScope(lines[scope], scope);
  }
});
afterAll(async () => {
  await world.close();
  await isolated.close();
});

async function setScope(line: AgentLine, scope: Scope, dtmfConsent = true) {
  await db`update public.privacy_preferences set consent_scope = ${scope}, dtmf_consent = ${dtmfConsent} where org_id = ${line.org.id}`;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
}

/** The consent prompt in an answer: the <Say> inside the <Gather>, its language and text. */
function gatheredSay(twiml: string): { language: string; text: string } | undefined {
  const m = /<Gather input="dtmf" numDigits="1"[^>]*><Say language="([^"]+)">([^<]*)<\/Say><\/Gather>/.exec(twiml);
  return m ? { language: m[1]!, text: unescapeXml(m[2]!) } : undefined;
}

const recordingRequestsFor = (callSid: string) =>
  world.twilioFake.requests.filter((r) => r.method === 'POST' && r.path.includes(`/Calls/${callSid}/Recordings`));

async function callRow(sid: string) {
  const [row] = await db`
    select id, consent_state, consent_language, recording_allowed, greeting_sha256, disclosure_version
    from public.calls where twilio_call_sid = ${sid}`;
  return row!;
}

/** What the call was registered with at ElevenLabs: the first message it opens with. */
function registeredGreeting(callId: string): string {
  const calls = world.elFake.registeredCalls.filter((c) => c.conversation_initiation_client_data?.dynamic_variables?.call_id === callId);
  expect(calls).toHaveLength(1);
  return calls[0].conversation_initiation_client_data.conversation_config_override.agent.first_message as string;
}

async function consentsFor(sid: string) {
  return db`select digit, outcome, attempt, country, prompt_language, prompt_version, prompt_hash
            from public.call_consents where twilio_call_sid = ${sid} order by attempt`;
}

function voice(line: AgentLine, callSid: string, from: string, fromCountry?: string) {
  return twilioPost(world, '/webhooks/twilio/voice', {
    CallSid: callSid,
    AccountSid: world.config.twilio.accountSid,
    From: from,
    To: line.number,
    ...(fromCountry ? { FromCountry: fromCountry } : {}),
    CallStatus: 'ringing',
    Direction: 'inbound',
  });
}

function consent(callSid: string, attempt: number, digits?: string) {
  return twilioPost(world, `/webhooks/twilio/consent?attempt=${attempt}`, {
    CallSid: callSid,
    AccountSid: world.config.twilio.accountSid,
    ...(digits === undefined ? {} : { Digits: digits }),
  });
}

// Each scope is tried with a caller it asks: under listed_countries one from
// Austria (German prompt), under all_callers one from France (French prompt),
// both calling an English agent, so the prompt's language is the caller's.
const CALLERS: Record<Scope, { from: string; country: string; lang: string; say: string }> = {
  listed_countries: { from: '+43123456789', country: 'AT', lang: 'de', say: 'de-DE' },
  all_callers: { from: '+33142685300', country: 'FR', lang: 'fr', say: 'fr-FR' },
};

const ANSWERS = [
  { name: '1 (consent)', digits: ['1'], proof: [['1', 'given']], state: 'given' },
  { name: '2 (no consent)', digits: ['2'], proof: [['2', 'refused']], state: 'refused' },
  { name: 'silence twice', digits: [undefined, undefined], proof: [[null, 'no_input'], [null, 'no_input']], state: 'refused' },
  { name: 'an invalid digit, then silence', digits: ['7', undefined], proof: [['7', 'invalid'], [null, 'no_input']], state: 'refused' },
] as const;

describe.each(['listed_countries', 'all_callers'] as const)('consent scope %s', (scope) => {
  it.each(ANSWERS)('the caller answers $name', async (answer) => {
    const line = lines[scope];
    const caller = CALLERS[scope];
    const prompt = consentPrompt(caller.lang);
    const sid = newCallSid();

    const first = await voice(line, sid, caller.from, caller.country);
    expect(first.status).toBe(200);
    expect(gatheredSay(first.text)).toEqual({ language: caller.say, text: prompt.text });
    expect(first.text).toContain('attempt=1');
    expect(first.text).not.toContain('<Connect');
    expect(await callRow(sid)).toMatchObject({ consent_state: 'pending', consent_language: caller.lang, greeting_sha256: null });

    let last = first;
    for (const [i, digits] of answer.digits.entries()) {
      // Nothing is recorded while the caller is being asked.
      await sleep(50);
      expect(recordingRequestsFor(sid)).toHaveLength(0);
      last = await consent(sid, i + 1, digits);
      expect(last.status).toBe(200);
      if (i < answer.digits.length - 1) {
        // Asked once more, in the same words.
        expect(gatheredSay(last.text)).toEqual({ language: caller.say, text: prompt.text });
        expect(last.text).toContain(`attempt=${i + 2}`);
      }
    }
    expect(last.text).toContain('<Connect><Stream');

    const given = answer.state === 'given';
    const row = await callRow(sid);
    expect(row).toMatchObject({ consent_state: answer.state, recording_allowed: given, consent_language: caller.lang });
    expect((await consentsFor(sid)).map((c) => [c.digit, c.outcome])).toEqual(answer.proof);
    for (const [i, proof] of (await consentsFor(sid)).entries()) {
      expect(proof).toMatchObject({ attempt: i + 1, country: caller.country, prompt_language: caller.lang, prompt_version: prompt.version, prompt_hash: prompt.hash });
    }

    const greeting = registeredGreeting(row.id as string);
    if (given) {
      await waitFor(() => recordingRequestsFor(sid).length === 1, 'the recording to start');
      expect(greeting).toBe(line.firstMessage);
    } else {
      await sleep(200);
      expect(recordingRequestsFor(sid)).toHaveLength(0);
      expect(greeting).toBe(buildUnrecordedFirstMessage('en', line.firstMessage));
      expect(greeting).toContain(disclaimerFor('en')!.not_recorded_notice);
    }
    // Proof of the AI disclosure: the hash of exactly what ElevenLabs was told to say first.
    expect(row.greeting_sha256).toBe(sha256(greeting));
    expect(row.disclosure_version).toBe(disclaimerFor('en')!.version);
  });
});

describe('who is asked, and in which language', () => {
  it('all_callers: a UK caller (country from the +44 number) and a US caller hear the English prompt', async () => {
    const line = lines.all_callers;
    for (const [from, fromCountry] of [['+442071234567', undefined], ['+12125550100', 'US']] as const) {
      const sid = newCallSid();
      const res = await voice(line, sid, from, fromCountry);
      expect(gatheredSay(res.text)).toEqual({ language: 'en-GB', text: consentPrompt('en').text });
      expect(await callRow(sid)).toMatchObject({ consent_state: 'pending', consent_language: 'en' });
      const [call] = await db`select caller_country from public.calls where twilio_call_sid = ${sid}`;
      expect(call!.caller_country).toBe(fromCountry ?? 'GB');
    }
  });

  it('listed_countries: a UK caller is not asked and is recorded', async () => {
    const sid = newCallSid();
    const res = await voice(lines.listed_countries, sid, '+442071234567');
    expect(res.text).toContain('<Connect><Stream');
    expect(res.text).not.toContain('<Gather');
    await waitFor(() => recordingRequestsFor(sid).length === 1, 'the recording to start');
    const row = await callRow(sid);
    expect(row).toMatchObject({ consent_state: 'not_required', consent_language: null, recording_allowed: true });
    expect(row.greeting_sha256).toBe(sha256(registeredGreeting(row.id as string)));
    expect(await consentsFor(sid)).toHaveLength(0);
  });

  it('all_callers with the switch off: nobody is asked', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    await setScope(line, 'all_callers', false);
    const sid = newCallSid();
    const res = await voice(line, sid, '+4930123456789', 'DE');
    expect(res.text).toContain('<Connect><Stream');
    expect(await callRow(sid)).toMatchObject({ consent_state: 'not_required', consent_language: null });
  });

  it("all_callers: a caller from a country without one language (BE) is asked in the agent's language, and keeps it on every retry", async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true, language: 'fr' });
    await setScope(line, 'all_callers');
    const sid = newCallSid();
    const fr = consentPrompt('fr');
    const first = await voice(line, sid, '+3225551234');
    expect(gatheredSay(first.text)).toEqual({ language: 'fr-FR', text: fr.text });
    expect(await callRow(sid)).toMatchObject({ consent_language: 'fr' });

    // The agent is switched to German mid-call: the prompt's language was fixed when the call came in.
    const de = disclaimerFor('de')!;
    await db`update public.agents set language = 'de', first_message = ${`${de.ai_disclosure} ${de.recording_notice}`} where id = ${line.agentId}`;
    const retried = await voice(line, sid, '+3225551234');
    expect(retried.text).toBe(first.text);
    const again = await consent(sid, 1);
    expect(gatheredSay(again.text)).toEqual({ language: 'fr-FR', text: fr.text });
    expect((await consent(sid, 1)).text).toBe(again.text);
    const done = await consent(sid, 2, '1');
    expect(done.text).toContain('<Connect><Stream');
    expect((await consentsFor(sid)).map((c) => [c.outcome, c.prompt_language, c.prompt_version, c.country])).toEqual([
      ['no_input', 'fr', fr.version, 'BE'],
      ['given', 'fr', fr.version, 'BE'],
    ]);
    // The greeting is the agent's (now German), and so is its disclosure version.
    const row = await callRow(sid);
    expect(row).toMatchObject({ consent_state: 'given', disclosure_version: de.version });
    expect(row.greeting_sha256).toBe(sha256(registeredGreeting(row.id as string)));
  });

  it("all_callers: a caller without a number (anonymous) is asked in the agent's language", async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true, language: 'pt-br' });
    await setScope(line, 'all_callers');
    const sid = newCallSid();
    const res = await voice(line, sid, 'anonymous');
    expect(gatheredSay(res.text)).toEqual({ language: 'pt-BR', text: consentPrompt('pt-br').text });
  });

  it('listed_countries keeps German and Polish prompts for DE, AT, CH and PL', async () => {
    for (const [from, country, lang, say] of [
      ['+4930123456789', 'DE', 'de', 'de-DE'],
      ['+41441234567', 'CH', 'de', 'de-DE'],
      ['+48221234567', 'PL', 'pl', 'pl-PL'],
    ] as const) {
      const res = await voice(lines.listed_countries, newCallSid(), from, country);
      expect(gatheredSay(res.text)).toEqual({ language: say, text: consentPrompt(lang).text });
    }
  });
});

describe('the greeting proof is shown with the call', () => {
  it('in the list, the call detail and the export', async () => {
    const line = lines.all_callers;
    const sid = newCallSid();
    await voice(line, sid, '+33142685301', 'FR');
    await consent(sid, 1, '2');
    const row = await callRow(sid);
    const proof = { greeting_sha256: row.greeting_sha256, disclosure_version: disclaimerFor('en')!.version, consent_language: 'fr' };
    expect(proof.greeting_sha256).toMatch(/^[0-9a-f]{64}$/);

    const list = await request(world.app).get(`/api/orgs/${line.org.id}/calls`).set(...bearer(line.org.member));
    expect(list.body.calls.find((c: { id: string }) => c.id === row.id)).toMatchObject(proof);
    const detail = await request(world.app).get(`/api/orgs/${line.org.id}/calls/${row.id}`).set(...bearer(line.org.member));
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ ...proof, consent_state: 'refused' });
    const exported = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({ phone: '+33142685301' });
    expect(exported.status).toBe(200);
    expect(exported.body.data.calls).toEqual([expect.objectContaining({ id: row.id, ...proof })]);
    const whole = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({});
    expect(whole.body.data.preferences).toMatchObject({ consent_scope: 'all_callers' });
  });
});

describe('the consent_scope preference', () => {
  it('defaults to listed_countries; owners and admins change it (audited), members cannot', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const path = `/api/orgs/${line.org.id}/preferences/privacy`;
    const read = await request(world.app).get(path).set(...bearer(line.org.member));
    expect(read.body).toMatchObject({ dtmf_consent: true, consent_scope: 'listed_countries' });

    expect((await request(world.app).put(path).set(...bearer(line.org.member)).send({ consent_scope: 'all_callers' })).status).toBe(403);
    const put = await request(world.app).put(path).set(...bearer(line.org.admin)).send({ consent_scope: 'all_callers' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ consent_scope: 'all_callers', dtmf_consent: true, retention_days: 30 });
    expect((await request(world.app).get(path).set(...bearer(line.org.member))).body.consent_scope).toBe('all_callers');
    const [audit] = await db`
      select actor_id, metadata from public.audit_logs
      where org_id = ${line.org.id} and action = 'privacy_preferences.updated' order by created_at desc limit 1`;
    expect(audit).toMatchObject({ actor_id: line.org.admin.id, metadata: { changed: { consent_scope: { from: 'listed_countries', to: 'all_callers' } } } });

    // The next caller from an unlisted country is asked.
    const sid = newCallSid();
    const res = await voice(line, sid, '+442071234567');
    expect(gatheredSay(res.text)?.language).toBe('en-GB');
  });

  it('refuses a scope that does not exist with a clear 400, and the database refuses it too', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const res = await request(world.app).put(`/api/orgs/${line.org.id}/preferences/privacy`).set(...bearer(line.org.owner)).send({ consent_scope: 'everyone' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('consent_scope');
    expect(res.body.error.message).toContain('listed_countries, all_callers');
    const [row] = await db`select consent_scope from public.privacy_preferences where org_id = ${line.org.id}`;
    expect(row!.consent_scope).toBe('listed_countries');
    await expect(db`update public.privacy_preferences set consent_scope = 'everyone' where org_id = ${line.org.id}`).rejects.toMatchObject({ code: '23514' });
  });

  it('the trust check states the scope', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const detail = async () => {
      const res = await request(world.app).get(`/api/orgs/${line.org.id}/trust`).set(...bearer(line.org.member));
      return res.body.checks.find((c: { id: string }) => c.id === 'dtmf_consent') as { detail: string; evidence: Record<string, unknown> };
    };
    const listed = await detail();
    expect(listed.evidence).toEqual({ switch: true, scope: 'listed_countries' });
    expect(listed.detail).toContain('DE, AT, CH and PL');
    expect(listed.detail).toContain('other countries are recorded without asking');
    await setScope(line, 'all_callers');
    const all = await detail();
    expect(all.evidence).toEqual({ switch: true, scope: 'all_callers' });
    expect(all.detail).toContain('every caller');
    await setScope(line, 'all_callers', false);
    expect((await detail()).detail).toMatch(/^Off/);
  });
});
