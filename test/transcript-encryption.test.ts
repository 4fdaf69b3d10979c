import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import {
  decryptTranscript,
  encryptTranscript,
  TranscriptDecryptionError,
  type TranscriptDecryptionReason,
} from '../src/transcripts/transcript-crypto.js';
import { runTranscriptEncryption } from '../src/transcripts/transcript-encryption.js';
import { transcriptEncryptionJob } from '../src/transcripts/transcripts-jobs.js';
import { storeTranscript } from '../src/transcripts/transcript-store.js';
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
import { bearer, createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

const config = testConfig();
const keyring = config.transcriptKeys;
const turns = [
  { role: 'agent', message: 'Hello! You are speaking with an AI assistant.', time_in_call_secs: 0 },
  { role: 'user', message: 'Grüß Gott, ich heiße Erika — café ☕', time_in_call_secs: 3.5 },
];

/** Asserts that `fn` throws a TranscriptDecryptionError with the given reason. */
function expectRefusal(fn: () => unknown, reason: TranscriptDecryptionReason) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TranscriptDecryptionError);
  expect((caught as TranscriptDecryptionError).reason).toBe(reason);
}

/** Flips one bit of the decoded bytes of part `index` of a stored ciphertext. */
function flipBit(stored: string, index: number): string {
  const parts = stored.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[bytes.length - 1]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('transcript crypto', () => {
  const binding = { orgId: randomUUID(), transcriptId: randomUUID() };

  it('round-trips turns in the documented v1 format, with a fresh nonce each time', () => {
    const a = encryptTranscript(keyring, 'k1', binding, turns);
    const b = encryptTranscript(keyring, 'k1', binding, turns);
    expect(a).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a).not.toContain('Erika');
    expect(decryptTranscript(keyring, binding, a)).toEqual(turns);
    expect(decryptTranscript(keyring, binding, b)).toEqual(turns);
    expect(decryptTranscript(keyring, binding, encryptTranscript(keyring, 'k0', binding, []))).toEqual([]);
    // ids compare as uuids, whatever their case
    expect(decryptTranscript(keyring, { orgId: binding.orgId.toUpperCase(), transcriptId: binding.transcriptId.toUpperCase() }, a)).toEqual(turns);
  });

  it('refuses to encrypt under a key id that is not in the keyring', () => {
    expect(() => encryptTranscript(keyring, 'k9', binding, turns)).toThrow(/k9/);
  });

  it('an unknown key id throws', () => {
    const other = new Map([['k9', Buffer.alloc(32, 9)]]);
    expectRefusal(() => decryptTranscript(keyring, binding, encryptTranscript(other, 'k9', binding, turns)), 'unknown_key');
  });

  it('a tampered ciphertext, tag or nonce throws', () => {
    const stored = encryptTranscript(keyring, 'k1', binding, turns);
    expectRefusal(() => decryptTranscript(keyring, binding, flipBit(stored, 3)), 'authentication_failed');
    expectRefusal(() => decryptTranscript(keyring, binding, flipBit(stored, 4)), 'authentication_failed');
    expectRefusal(() => decryptTranscript(keyring, binding, flipBit(stored, 2)), 'authentication_failed');
    // a ciphertext truncated by a byte
    const parts = stored.split('.');
    parts[3] = Buffer.from(parts[3]!, 'base64url').subarray(1).toString('base64url');
    expectRefusal(() => decryptTranscript(keyring, binding, parts.join('.')), 'authentication_failed');
  });

  it('relabelling the key id (to another key in the keyring) throws', () => {
    const stored = encryptTranscript(keyring, 'k1', binding, turns);
    expectRefusal(() => decryptTranscript(keyring, binding, stored.replace(/^v1\.k1\./, 'v1.k0.')), 'authentication_failed');
  });

  it('a ciphertext moved to another transcript or another organisation throws', () => {
    const stored = encryptTranscript(keyring, 'k1', binding, turns);
    expectRefusal(() => decryptTranscript(keyring, { ...binding, transcriptId: randomUUID() }, stored), 'authentication_failed');
    expectRefusal(() => decryptTranscript(keyring, { ...binding, orgId: randomUUID() }, stored), 'authentication_failed');
  });

  it('a malformed string throws', () => {
    const stored = encryptTranscript(keyring, 'k1', binding, turns);
    const [, kid, nonce, body, tag] = stored.split('.');
    for (const bad of [
      '',
      'not a ciphertext',
      stored.replace(/^v1\./, 'v2.'),
      [kid, nonce, body, tag].join('.'),
      `${stored}.extra`,
      ['v1', 'k.1', nonce, body, tag].join('.'),
      ['v1', kid, `${nonce}!`, body, tag].join('.'),
      ['v1', kid, nonce, '', tag].join('.'),
      ['v1', kid, nonce, body, tag!.slice(0, 10)].join('.'),
      ['v1', kid, nonce!.slice(0, 8), body, tag].join('.'),
      ['v1', kid, nonce, `${body}=`, tag].join('.'),
    ]) {
      expectRefusal(() => decryptTranscript(keyring, binding, bad), 'malformed');
    }
  });
});

let db: ServiceDb;
let world: CallWorld;

beforeAll(async () => {
  db = openTestDb();
  world = await startCallWorld(db);
});
afterAll(async () => {
  await world.close();
  await db.end();
});

const setSwitch = (orgId: string, on: boolean) =>
  db`update public.privacy_preferences set transcript_encryption = ${on} where org_id = ${orgId}`;

/** Transcript rows as stored, with their raw text. */
const rowsOf = (orgId: string) =>
  db<{ id: string; org_id: string; content: unknown; ciphertext: string | null; key_id: string | null; raw: string }[]>`
    select id, org_id, content, ciphertext, key_id, t::text as raw from public.transcripts t where org_id = ${orgId} order by id`;

/** Plaintext transcripts written directly, as rows from before the switch was turned on. */
async function seedPlain(orgId: string, n: number): Promise<Map<string, unknown>> {
  const seeded = new Map<string, unknown>();
  for (let i = 0; i < n; i += 1) {
    const id = randomUUID();
    const content = [{ role: 'user', message: `Plaintext ${i} from Erika`, time_in_call_secs: i }];
    await db`insert into public.transcripts (id, org_id, content) values (${id}, ${orgId}, ${db.json(content)})`;
    seeded.set(id, content);
  }
  return seeded;
}

/** Transcripts encrypted under `keyId`, as a run before a key rotation left them. */
async function seedEncrypted(orgId: string, n: number, keyId: string, ring = keyring): Promise<Map<string, unknown>> {
  const seeded = new Map<string, unknown>();
  for (let i = 0; i < n; i += 1) {
    const id = randomUUID();
    const content = [{ role: 'agent', message: `Encrypted ${i} under ${keyId}`, time_in_call_secs: i }];
    const ciphertext = encryptTranscript(ring, keyId, { orgId, transcriptId: id }, content);
    await db`insert into public.transcripts (id, org_id, ciphertext, key_id) values (${id}, ${orgId}, ${ciphertext}, ${keyId})`;
    seeded.set(id, content);
  }
  return seeded;
}

describe('post-call webhook and calls API with encryption on', () => {
  let line: AgentLine;

  beforeAll(async () => {
    line = await createAgentLine(db, world, { dtmfConsent: false });
    await setSwitch(line.org.id, true);
  });

  async function deliveredCall(): Promise<string> {
    const sid = newCallSid();
    await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: '+12125550123', To: line.number, FromCountry: 'US' });
    const [call] = await db`select id, recording_allowed from public.calls where twilio_call_sid = ${sid}`;
    expect(call!.recording_allowed).toBe(true);
    const body = postCallBody(call!.id as string);
    const res = await request(world.app)
      .post('/webhooks/elevenlabs/post-call')
      .set('content-type', 'application/json')
      .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('stored');
    return call!.id as string;
  }

  it('stores ciphertext only, and the calls API returns the transcript decrypted', async () => {
    const callId = await deliveredCall();
    const [row] = await db<{ id: string; content: unknown; ciphertext: string; key_id: string; raw: string }[]>`
      select id, content, ciphertext, key_id, t::text as raw from public.transcripts t where call_id = ${callId}`;
    expect(row).toMatchObject({ content: null, key_id: 'k1', ciphertext: expect.stringMatching(/^v1\.k1\./) });
    for (const word of ['Erika', 'appointment', 'assistant']) expect(row!.raw).not.toContain(word);

    const detail = await request(world.app).get(`/api/orgs/${line.org.id}/calls/${callId}`).set(...bearer(line.org.member));
    expect(detail.status).toBe(200);
    expect(detail.body.transcript).toEqual({
      id: row!.id,
      turns: [
        { role: 'agent', message: 'Hello! You are speaking with an AI assistant.', time_in_call_secs: 0 },
        { role: 'user', message: 'My name is Erika, I would like an appointment.', time_in_call_secs: 4 },
      ],
    });
  });

  it('a transcript that cannot be decrypted is reported as undecryptable, the rest of the call still shown', async () => {
    const callId = await deliveredCall();
    const [row] = await db<{ id: string }[]>`select id from public.transcripts where call_id = ${callId}`;
    const lost = new Map([['k9', Buffer.alloc(32, 9)]]);
    const ciphertext = encryptTranscript(lost, 'k9', { orgId: line.org.id, transcriptId: row!.id }, turns);
    await db`update public.transcripts set ciphertext = ${ciphertext}, key_id = 'k9' where id = ${row!.id}`;

    const detail = await request(world.app).get(`/api/orgs/${line.org.id}/calls/${callId}`).set(...bearer(line.org.member));
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: callId, from_number: '+12125550123' });
    expect(detail.body.transcript).toEqual({ id: row!.id, error: 'undecryptable' });
    // the row is left for a person to look at; this test removes it so later job runs do not count it
    await db`delete from public.transcripts where id = ${row!.id}`;
  });

  it('a redelivered webhook after the switch is turned off keeps the transcript encrypted', async () => {
    const callId = await deliveredCall();
    await setSwitch(line.org.id, false);
    try {
      const stored = await db.begin((tx) =>
        storeTranscript(tx, keyring, 'k1', { orgId: line.org.id, callId, conversationId: 'conv_again', turns, encrypt: false }),
      );
      expect(stored.encrypted).toBe(true);
      const [row] = await db<{ id: string; content: unknown; ciphertext: string }[]>`
        select id, content, ciphertext from public.transcripts where call_id = ${callId}`;
      expect(row!.content).toBeNull();
      expect(decryptTranscript(keyring, { orgId: line.org.id, transcriptId: row!.id }, row!.ciphertext)).toEqual(turns);
    } finally {
      await setSwitch(line.org.id, true);
    }
  });

  it('with the switch off the webhook stores plaintext, as before', async () => {
    const org = await createOrg(db, world.config);
    const callId = randomUUID();
    await db`insert into public.calls (id, org_id, twilio_call_sid, to_number) values (${callId}, ${org.id}, ${newCallSid()}, '+3531000000')`;
    const stored = await db.begin((tx) =>
      storeTranscript(tx, keyring, 'k1', { orgId: org.id, callId, conversationId: 'conv_plain', turns, encrypt: false }),
    );
    expect(stored.encrypted).toBe(false);
    const [row] = await rowsOf(org.id);
    expect(row).toMatchObject({ id: stored.id, content: turns, ciphertext: null, key_id: null });
  });
});

describe('transcript-encryption job', () => {
  let on: TestOrg;
  let off: TestOrg;

  beforeAll(async () => {
    on = await createOrg(db, config);
    off = await createOrg(db, config);
    await setSwitch(on.id, true);
  });

  it('is registered every 15 minutes under its name', () => {
    expect(transcriptEncryptionJob).toMatchObject({ name: 'transcript-encryption', schedule: '*/15 * * * *' });
  });

  it('encrypts leftover plaintext of organisations with the switch on and leaves the others alone', async () => {
    const plainOn = await seedPlain(on.id, 7);
    const plainOff = await seedPlain(off.id, 3);

    const counts = await runTranscriptEncryption({ serviceDb: db, config }, { batchSize: 2 });
    expect(counts.encrypted).toBeGreaterThanOrEqual(7);

    const rows = await rowsOf(on.id);
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      expect(row).toMatchObject({ content: null, key_id: 'k1' });
      expect(row.raw).not.toContain('Erika');
      expect(decryptTranscript(keyring, { orgId: on.id, transcriptId: row.id }, row.ciphertext!)).toEqual(plainOn.get(row.id));
    }
    const untouched = await rowsOf(off.id);
    expect(untouched.map((r) => [r.id, r.content, r.ciphertext])).toEqual([...plainOff].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => [id, c, null]));

    // no plaintext is left for any organisation of this test with the switch on
    const [left] = await db`
      select count(*)::int as n from public.transcripts t join public.privacy_preferences p using (org_id)
      where p.transcript_encryption and t.content is not null and t.org_id = ${on.id}`;
    expect(left!.n).toBe(0);

    const [audit] = await db`select actor_type, metadata from public.audit_logs where org_id = ${on.id} and action = 'transcripts.encrypted'`;
    expect(audit).toBeDefined();
    const audits = await db<{ metadata: { encrypted: number; reencrypted: number; key_id: string } }[]>`
      select metadata from public.audit_logs where org_id = ${on.id} and action = 'transcripts.encrypted'`;
    expect(audits.reduce((n, a) => n + a.metadata.encrypted, 0)).toBe(7);
    expect(audit!.actor_type).toBe('system');

    // idempotent: a second run changes none of these rows
    await runTranscriptEncryption({ serviceDb: db, config }, { batchSize: 2 });
    expect((await rowsOf(on.id)).map((r) => r.ciphertext)).toEqual(rows.map((r) => r.ciphertext));
  });

  it('re-encrypts rows under a retired key (k0) under the current key (k1), whatever the switch', async () => {
    const retiredOn = await seedEncrypted(on.id, 5, 'k0');
    const retiredOff = await seedEncrypted(off.id, 2, 'k0');

    const counts = await runTranscriptEncryption({ serviceDb: db, config }, { batchSize: 3 });
    expect(counts.reencrypted).toBeGreaterThanOrEqual(7);

    const [k0] = await db`select count(*)::int as n from public.transcripts where key_id = 'k0'`;
    expect(k0!.n).toBe(0);
    for (const [org, seeded] of [
      [on.id, retiredOn],
      [off.id, retiredOff],
    ] as const) {
      const rows = (await rowsOf(org)).filter((r) => seeded.has(r.id));
      expect(rows).toHaveLength(seeded.size);
      for (const row of rows) {
        expect(row.key_id).toBe('k1');
        expect(row.ciphertext).toMatch(/^v1\.k1\./);
        expect(decryptTranscript(keyring, { orgId: org, transcriptId: row.id }, row.ciphertext!)).toEqual(seeded.get(row.id));
      }
    }
    // every encrypted row of these organisations still decrypts
    for (const org of [on.id, off.id]) {
      for (const row of (await rowsOf(org)).filter((r) => r.ciphertext)) {
        expect(() => decryptTranscript(keyring, { orgId: org, transcriptId: row.id }, row.ciphertext!)).not.toThrow();
      }
    }
  });

  it('a row whose key is unknown is counted failed and left untouched', async () => {
    const lost = new Map([['k9', Buffer.alloc(32, 9)]]);
    const [id] = [...(await seedEncrypted(on.id, 1, 'k9', lost)).keys()];
    const [before] = await db`select ciphertext, key_id, updated_at from public.transcripts where id = ${id!}`;
    try {
      const counts = await runTranscriptEncryption({ serviceDb: db, config });
      expect(counts.failed).toBeGreaterThanOrEqual(1);
      const [after] = await db`select ciphertext, key_id, updated_at from public.transcripts where id = ${id!}`;
      expect(after).toEqual(before);
    } finally {
      await db`delete from public.transcripts where id = ${id!}`;
    }
  });

  it('turning the switch off does not decrypt stored transcripts', async () => {
    const org = await createOrg(db, config);
    await setSwitch(org.id, true);
    await seedPlain(org.id, 3);
    await runTranscriptEncryption({ serviceDb: db, config });
    const encrypted = await rowsOf(org.id);
    expect(encrypted.every((r) => r.content === null && r.key_id === 'k1')).toBe(true);

    await setSwitch(org.id, false);
    await runTranscriptEncryption({ serviceDb: db, config });
    expect((await rowsOf(org.id)).map((r) => [r.content, r.ciphertext])).toEqual(encrypted.map((r) => [null, r.ciphertext]));
  });

  it('two runs at once share the work without losing or corrupting a row', async () => {
    const org = await createOrg(db, config);
    await setSwitch(org.id, true);
    const plain = await seedPlain(org.id, 20);
    const retired = await seedEncrypted(org.id, 10, 'k0');

    const [a, b] = await Promise.all([
      runTranscriptEncryption({ serviceDb: db, config }, { batchSize: 3 }),
      runTranscriptEncryption({ serviceDb: db, config }, { batchSize: 4 }),
    ]);
    expect(a.encrypted + b.encrypted).toBeGreaterThanOrEqual(20);
    expect(a.reencrypted + b.reencrypted).toBeGreaterThanOrEqual(10);
    const rows = await rowsOf(org.id);
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      expect(row).toMatchObject({ content: null, key_id: 'k1' });
      expect(decryptTranscript(keyring, { orgId: org.id, transcriptId: row.id }, row.ciphertext!)).toEqual(
        plain.get(row.id) ?? retired.get(row.id),
      );
    }
  });
});
