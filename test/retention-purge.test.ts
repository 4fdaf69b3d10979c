import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { buildJobContext } from '../src/container.js';
import type { JobContext } from '../src/jobs/job-context.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { runJobNow } from '../src/jobs/scheduler.js';
import { keyedHash } from '../src/lib/crypto.js';
import { createElevenLabsClient } from '../src/providers/elevenlabs-client.js';
import { createElevenLabsPlatform } from '../src/providers/elevenlabs-platform.js';
import { PERSONAL_DATA_MAP, retentionColumns } from '../src/privacy/personal-data-map.js';
import { createTwilioTelephony } from '../src/providers/telephony.js';
import { retentionCutoff, runRetentionPurge, type RetentionPurgeCounts } from '../src/retention/retention-purge.js';
import {
  anonymiseLeadsBatch,
  deleteExportsBatch,
  queueRecordingsBatch,
  scrubCallsBatch,
  scrubConsentsBatch,
} from '../src/retention/retention-purge-repo.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { newCallSid, TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { createOrg, openIsolatedTestDb, testConfig } from './helpers/harness.js';

/**
 * The purge and the provider-deletion worker it runs work every organisation
 * and the whole deletion queue. On PostgreSQL test files run in parallel, so
 * this file takes a database of its own there (another file's worker would
 * otherwise send this file's queued deletions to its own fakes, and the other
 * way round). The embedded database runs files one after another: there it
 * shares the run's database, and the clock below is set years back so that
 * nothing another file wrote is old enough to be purged.
 */
const ownDatabase = openIsolatedTestDb;

const NOW = new Date('2020-01-15T03:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const WINDOWS = [30, 90, 180, 365] as const;
/** Either side of every window, and on it. */
const AGES_DAYS = [29, 30, 31, 89, 90, 91, 179, 180, 181, 364, 365, 366];
const EL_KEY = 'el-test-key';

let own: Awaited<ReturnType<typeof ownDatabase>>;
let db: ServiceDb;
let config: AppConfig;
let twilioFake: TwilioFake;
let elFake: ElevenLabsFake;
let ctx: JobContext;

beforeAll(async () => {
  own = await ownDatabase();
  db = own.db;
  config = testConfig();
  twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  elFake = await startElevenLabsFake({ apiKey: EL_KEY });
  ctx = buildJobContext(config, db, {
    // Real SDKs against the fakes, impatient so that a hanging provider fails fast.
    telephony: createTwilioTelephony({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN, region: 'ie1', edge: 'dublin', apiBaseUrl: twilioFake.url, timeoutMs: 400 }),
    agentPlatform: createElevenLabsPlatform(createElevenLabsClient({ apiKey: EL_KEY, baseUrl: elFake.url, timeoutInSeconds: 0.4 })),
    now: () => NOW,
  });
});
afterAll(async () => {
  await twilioFake?.close();
  await elFake?.close();
  await own?.close();
});

/** A call as the call flow and the post-call webhook leave it, with everything hanging off it. */
interface Bundle {
  at: Date;
  callId: string;
  recordingSid: string;
  conversationId: string;
}

async function seedBundle(orgId: string, at: Date): Promise<Bundle> {
  const callSid = newCallSid();
  const recordingSid = `RE${randomBytes(16).toString('hex')}`;
  const conversationId = `conv_${randomBytes(10).toString('hex')}`;
  const from = `+4930${randomInt(10_000_000, 99_999_999)}`;
  const email = `caller-${randomBytes(4).toString('hex')}@example.de`;
  twilioFake.recordings.set(recordingSid, {
    sid: recordingSid,
    accountSid: TWILIO_TEST_SID,
    callSid,
    conferenceSid: null,
    status: 'completed',
    channels: 2,
    source: 'StartCallRecordingAPI',
    track: 'both',
    duration: '42',
    statusCallback: null,
    statusCallbackMethod: 'POST',
    statusCallbackEvents: ['completed'],
    trim: 'do-not-trim',
    dateCreated: at,
    dateUpdated: at,
    startTime: at,
  });
  elFake.addConversation(conversationId, 'agent_retention');
  const [call] = await db<{ id: string }[]>`
    with call as (
      insert into public.calls (org_id, twilio_call_sid, from_number, from_hash, to_number, caller_country, status,
                                consent_state, recording_allowed, elevenlabs_conversation_id, answer_twiml,
                                started_at, ended_at, duration_seconds, outcome, created_at)
      values (${orgId}, ${callSid}, ${from}, ${keyedHash(config.blindIndexKey, 'phone', from)}, '+35312345678', 'DE', 'completed',
              'given', true, ${conversationId}, '<Response><Connect/></Response>',
              ${at}, ${new Date(at.getTime() + 42_000)}, 42, 'completed', ${at})
      returning id
    ), transcript as (
      insert into public.transcripts (org_id, call_id, elevenlabs_conversation_id, content, created_at)
      select ${orgId}, id, ${conversationId}, ${db.json([{ role: 'user', message: 'My name is Erika.' }])}, ${at} from call
    ), lead as (
      insert into public.leads (org_id, call_id, name, phone, phone_hash, email, email_hash, notes, created_at)
      select ${orgId}, id, 'Erika Mustermann', ${from}, ${keyedHash(config.blindIndexKey, 'phone', from)},
             ${email}, ${keyedHash(config.blindIndexKey, 'email', email)}, 'wants an appointment', ${at} from call
    ), export as (
      insert into public.exports (org_id, requested_by, subject_type, subject_hash, counts, created_at)
      values (${orgId}, ${randomUUID()}, 'phone', ${keyedHash(config.blindIndexKey, 'phone', from)}, ${db.json({ calls: 1 })}, ${at})
    ), recording as (
      insert into public.recordings (org_id, call_id, twilio_recording_sid, status, duration_seconds, sha256, media_url, created_at)
      select ${orgId}, id, ${recordingSid}, 'completed', 42, ${'ab'.repeat(32)}, ${`${twilioFake.url}/rec/${recordingSid}`}, ${at} from call
    )
    select id from call`;
  return { at, callId: call!.id, recordingSid, conversationId };
}

/** An organisation with the given window (null: no preferences row, so the default) and a bundle per age. */
async function orgWithHistory(window: number | null, ages: number[] = AGES_DAYS) {
  const org = await createOrg(db, config);
  if (window === null) await db`delete from public.privacy_preferences where org_id = ${org.id}`;
  else await db`update public.privacy_preferences set retention_days = ${window} where org_id = ${org.id}`;
  const effective = window ?? 30;
  const cutoff = retentionCutoff(NOW, effective);
  const bundles: Bundle[] = [];
  for (const days of ages) bundles.push(await seedBundle(org.id, new Date(NOW.getTime() - days * DAY)));
  // exactly on the cutoff: kept; a millisecond before it: gone
  bundles.push(await seedBundle(org.id, cutoff));
  bundles.push(await seedBundle(org.id, new Date(cutoff.getTime() - 1)));
  const expired = bundles.filter((b) => b.at < cutoff);
  const kept = bundles.filter((b) => b.at >= cutoff);
  return { org, window: effective, cutoff, bundles, expired, kept };
}

/** The DELETE requests the fakes received for these bundles' resources. */
function deletesFor(bundles: Bundle[]) {
  const recordings = new Set(bundles.map((b) => b.recordingSid));
  const conversations = new Set(bundles.map((b) => b.conversationId));
  const twilio = twilioFake.requests
    .filter((r) => r.method === 'DELETE')
    .map((r) => /\/Recordings\/(RE[0-9a-f]{32})\.json$/.exec(r.path)?.[1])
    .filter((sid): sid is string => sid !== undefined && recordings.has(sid));
  const elevenlabs = elFake.requests
    .filter((r) => r.method === 'DELETE')
    .map((r) => /^\/v1\/convai\/conversations\/(.+)$/.exec(r.path)?.[1])
    .filter((id): id is string => id !== undefined && conversations.has(id));
  return { twilio, elevenlabs };
}

/** Successful deletions at the fakes, for these bundles. */
function deletedAtProviders(bundles: Bundle[]) {
  const recordings = new Set(bundles.map((b) => b.recordingSid));
  const conversations = new Set(bundles.map((b) => b.conversationId));
  return {
    recordings: twilioFake.deletedRecordings.filter((s) => recordings.has(s)),
    conversations: elFake.deletedConversations.filter((c) => conversations.has(c)),
  };
}

async function snapshot(orgIds: string[]) {
  return {
    transcripts: await db`select id, call_id, content from public.transcripts where org_id = any(${orgIds}::uuid[]) order by id`,
    leads: await db`select * from public.leads where org_id = any(${orgIds}::uuid[]) order by id`,
    calls: await db`select * from public.calls where org_id = any(${orgIds}::uuid[]) order by id`,
    recordings: await db`select * from public.recordings where org_id = any(${orgIds}::uuid[]) order by id`,
    deletions: await db`select * from public.provider_deletions where org_id = any(${orgIds}::uuid[]) order by id`,
    exports: await db`select * from public.exports where org_id = any(${orgIds}::uuid[]) order by id`,
    audit: await db`select id from public.audit_logs where org_id = any(${orgIds}::uuid[]) order by id`,
  };
}

/** An organisation's retention.purged audit rows (one per batch, oldest first), and their counts added up. */
async function purgeAudit(orgId: string) {
  const rows = await db<{ actor_type: string; metadata: Record<string, number | string> }[]>`
    select actor_type, metadata from public.audit_logs where org_id = ${orgId} and action = 'retention.purged' order by chain_index`;
  const totals: Record<string, number> = {};
  for (const key of ['transcripts_deleted', 'leads_anonymised', 'calls_scrubbed', 'consents_scrubbed', 'recordings_queued', 'conversations_queued', 'exports_deleted']) {
    totals[key] = rows.reduce((sum, r) => sum + Number(r.metadata[key] ?? 0), 0);
  }
  return { rows, totals };
}

const sorted = (xs: string[]) => [...xs].sort();
const PURGE_FIELDS = ['transcripts_deleted', 'leads_anonymised', 'calls_scrubbed', 'recordings_queued', 'conversations_queued', 'exports_deleted'] as const;
const purgeCounts = (c: RetentionPurgeCounts) => Object.fromEntries(PURGE_FIELDS.map((k) => [k, c[k]]));

describe('retention purge', () => {
  let orgs: Awaited<ReturnType<typeof orgWithHistory>>[] = [];
  let first: RetentionPurgeCounts;

  it('takes exactly what is older than each organisation\'s window (30, 90, 180, 365, default 30), nothing else', async () => {
    orgs = [];
    for (const w of [...WINDOWS, null]) orgs.push(await orgWithHistory(w));
    first = await runRetentionPurge(ctx);

    for (const o of orgs) {
      const expiredCalls = new Set(o.expired.map((b) => b.callId));
      const transcripts = await db<{ call_id: string }[]>`select call_id from public.transcripts where org_id = ${o.org.id}`;
      expect(sorted(transcripts.map((t) => t.call_id)), `transcripts, window ${o.window}`).toEqual(sorted(o.kept.map((b) => b.callId)));

      // Leads stay, anonymised: nothing that names or reaches the person.
      const leads = await db`select call_id, name, phone, phone_hash, email, email_hash, notes, anonymised_at from public.leads where org_id = ${o.org.id}`;
      expect(leads).toHaveLength(o.bundles.length);
      for (const l of leads) {
        if (expiredCalls.has(l.call_id as string)) {
          expect(l).toMatchObject({ name: null, phone: null, phone_hash: null, email: null, email_hash: null, notes: null, anonymised_at: NOW });
        } else {
          expect(l.name).toBe('Erika Mustermann');
          expect(l.phone).not.toBeNull();
          expect(l.email_hash).not.toBeNull();
          expect(l.anonymised_at).toBeNull();
        }
      }

      // Calls stay with their statistics; the caller's number and the conversation link go.
      const calls = await db`select id, from_number, from_hash, elevenlabs_conversation_id, answer_twiml, status, duration_seconds, caller_country, started_at from public.calls where org_id = ${o.org.id}`;
      expect(calls).toHaveLength(o.bundles.length);
      for (const c of calls) {
        expect(c).toMatchObject({ status: 'completed', duration_seconds: 42, caller_country: 'DE' });
        if (expiredCalls.has(c.id as string)) {
          expect(c).toMatchObject({ from_number: null, from_hash: null, elevenlabs_conversation_id: null, answer_twiml: null });
        } else {
          expect(c.from_number).not.toBeNull();
          expect(c.elevenlabs_conversation_id).not.toBeNull();
        }
      }

      const recordings = await db`select call_id, deleted_at, media_url from public.recordings where org_id = ${o.org.id}`;
      for (const r of recordings) {
        if (expiredCalls.has(r.call_id as string)) expect(r).toMatchObject({ deleted_at: NOW, media_url: null });
        else expect(r.deleted_at).toBeNull();
      }

      // The records of answered access requests go whole, subject hash and all; younger ones stay.
      const exports = await db<{ created_at: Date; subject_hash: Buffer | null }[]>`
        select created_at, subject_hash from public.exports where org_id = ${o.org.id}`;
      expect(sorted(exports.map((e) => e.created_at.toISOString())), `exports, window ${o.window}`).toEqual(sorted(o.kept.map((b) => b.at.toISOString())));
      expect(exports.every((e) => e.subject_hash !== null)).toBe(true);

      // Each expired recording and conversation: one queued deletion, done, with its receipt.
      const queued = await db`select provider, resource_type, resource_id, reason, status, provider_status from public.provider_deletions where org_id = ${o.org.id}`;
      expect(queued).toHaveLength(o.expired.length * 2);
      expect(queued.every((q) => q.reason === 'retention' && q.status === 'done' && q.provider_status === 200)).toBe(true);

      // The providers got exactly the expected DELETEs: one per expired resource, none for the rest.
      const sent = deletesFor(o.bundles);
      expect(sorted(sent.twilio), `Twilio, window ${o.window}`).toEqual(sorted(o.expired.map((b) => b.recordingSid)));
      expect(sorted(sent.elevenlabs), `ElevenLabs, window ${o.window}`).toEqual(sorted(o.expired.map((b) => b.conversationId)));
      for (const b of o.kept) {
        expect(twilioFake.recordings.has(b.recordingSid)).toBe(true);
        expect(elFake.conversations.has(b.conversationId)).toBe(true);
      }

      // The organisation's activity log says what went, batch by batch, in numbers only.
      const audit = await purgeAudit(o.org.id);
      expect(audit.rows.length).toBeGreaterThanOrEqual(4);
      for (const row of audit.rows) {
        expect(row).toMatchObject({ actor_type: 'system', metadata: { retention_days: o.window, cutoff: o.cutoff.toISOString() } });
      }
      expect(audit.totals).toEqual({
        transcripts_deleted: o.expired.length,
        leads_anonymised: o.expired.length,
        calls_scrubbed: o.expired.length,
        consents_scrubbed: 0,
        recordings_queued: o.expired.length,
        conversations_queued: o.expired.length,
        exports_deleted: o.expired.length,
      });
    }

    // 30 days: 31, 89 … 366 and a millisecond past the cutoff; 365 days: 366 and that millisecond.
    expect(orgs.map((o) => o.expired.length)).toEqual([11, 8, 5, 2, 11]);
    const n = orgs.reduce((s, o) => s + o.expired.length, 0);
    expect(purgeCounts(first)).toEqual({ transcripts_deleted: n, leads_anonymised: n, calls_scrubbed: n, recordings_queued: n, conversations_queued: n, exports_deleted: n });
    expect(first.provider_deleted).toBeGreaterThanOrEqual(2 * n);
    expect(first.provider_failed).toBe(0);
  });

  it('a second run changes nothing and sends nothing', async () => {
    const ids = orgs.map((o) => o.org.id);
    const bundles = orgs.flatMap((o) => o.bundles);
    const before = await snapshot(ids);
    const sentBefore = deletesFor(bundles);

    const again = await runRetentionPurge(ctx);

    expect(purgeCounts(again)).toEqual({ transcripts_deleted: 0, leads_anonymised: 0, calls_scrubbed: 0, recordings_queued: 0, conversations_queued: 0, exports_deleted: 0 });
    expect(await snapshot(ids)).toEqual(before);
    expect(deletesFor(bundles)).toEqual(sentBefore);
  });

  it('a run stopped after a few batches is finished by the next one, every deletion sent once', async () => {
    const o = await orgWithHistory(30, [31, 32, 33, 34, 35, 36, 40]);
    expect(o.expired).toHaveLength(8);
    // As if killed after three batches: 6 of the 8 expired transcripts are gone, nothing else yet.
    const stopped = await runRetentionPurge(ctx, { batchSize: 2, maxBatches: 3 });
    expect(purgeCounts(stopped)).toEqual({ transcripts_deleted: 6, leads_anonymised: 0, calls_scrubbed: 0, recordings_queued: 0, conversations_queued: 0, exports_deleted: 0 });
    const [{ left }] = (await db`select count(*)::int as left from public.transcripts where org_id = ${o.org.id}`) as unknown as [{ left: number }];
    expect(left).toBe(o.kept.length + 2);
    expect(deletesFor(o.bundles)).toEqual({ twilio: [], elevenlabs: [] });
    // Each batch is in the audit log with its own counts, committed with it.
    const afterStop = await purgeAudit(o.org.id);
    expect(afterStop.rows.map((r) => r.metadata.transcripts_deleted)).toEqual([2, 2, 2]);

    const rest = await runRetentionPurge(ctx, { batchSize: 2 });
    expect(purgeCounts(rest)).toEqual({ transcripts_deleted: 2, leads_anonymised: 8, calls_scrubbed: 8, recordings_queued: 8, conversations_queued: 8, exports_deleted: 8 });
    const transcripts = await db<{ call_id: string }[]>`select call_id from public.transcripts where org_id = ${o.org.id}`;
    expect(sorted(transcripts.map((t) => t.call_id))).toEqual(sorted(o.kept.map((b) => b.callId)));
    const [{ open }] = (await db`
      select count(*)::int as open from public.leads where org_id = ${o.org.id} and anonymised_at is null`) as unknown as [{ open: number }];
    expect(open).toBe(o.kept.length);

    const sent = deletesFor(o.bundles);
    expect(sorted(sent.twilio)).toEqual(sorted(o.expired.map((b) => b.recordingSid)));
    expect(sorted(sent.elevenlabs)).toEqual(sorted(o.expired.map((b) => b.conversationId)));

    const third = await runRetentionPurge(ctx, { batchSize: 2 });
    expect(Object.values(purgeCounts(third)).every((n) => n === 0)).toBe(true);
    expect(deletesFor(o.bundles)).toEqual(sent);
    expect((await purgeAudit(o.org.id)).totals).toMatchObject({ transcripts_deleted: 8, leads_anonymised: 8, calls_scrubbed: 8, recordings_queued: 8, exports_deleted: 8 });
    const [{ exportsLeft }] = (await db`
      select count(*)::int as "exportsLeft" from public.exports where org_id = ${o.org.id}`) as unknown as [{ exportsLeft: number }];
    expect(exportsLeft).toBe(o.kept.length);
  });

  it('more rows with the very same time than fit in a batch all go, batch by batch', async () => {
    const org = await createOrg(db, config);
    const same = new Date(NOW.getTime() - 40 * DAY);
    const later = new Date(NOW.getTime() - 35 * DAY);
    const fresh = new Date(NOW.getTime() - 10 * DAY);
    await db`
      insert into public.transcripts (org_id, content, created_at)
      select ${org.id}, '[]'::jsonb, t from unnest(${[same, same, same, same, same, later, later, fresh].map((d) => d.toISOString())}::timestamptz[]) as t`;
    const stopped = await runRetentionPurge(ctx, { batchSize: 2, maxBatches: 2 });
    expect(stopped.transcripts_deleted).toBe(4);
    const rest = await runRetentionPurge(ctx, { batchSize: 2 });
    expect(rest.transcripts_deleted).toBe(3);
    const left = await db<{ created_at: Date }[]>`select created_at from public.transcripts where org_id = ${org.id}`;
    expect(left.map((r) => r.created_at)).toEqual([fresh]);
  });

  it('provider outages leave the deletions queued with backoff; provider-deletions finishes them later, each once', async () => {
    const o = await orgWithHistory(90, [91, 120, 200]);
    const due = async () =>
      db<{ resource_id: string; status: string; attempts: number; last_error: string | null; waiting: boolean }[]>`
        select resource_id, status, attempts, last_error, next_attempt_at > now() as waiting
        from public.provider_deletions where org_id = ${o.org.id} order by resource_id`;
    const makeDue = () => db`update public.provider_deletions set next_attempt_at = now() where org_id = ${o.org.id} and status = 'pending'`;

    // Twilio answers 500 and ElevenLabs hangs, for a while.
    twilioFake.failNext(1000, '500');
    elFake.failNext(1000, 'timeout');
    const purge = await runRetentionPurge(ctx);
    expect(purge).toMatchObject({ recordings_queued: o.expired.length, conversations_queued: o.expired.length, provider_deleted: 0 });
    expect(purge.provider_retried).toBeGreaterThanOrEqual(2 * o.expired.length);
    let rows = await due();
    expect(rows).toHaveLength(2 * o.expired.length);
    for (const r of rows) expect(r).toMatchObject({ status: 'pending', attempts: 1, waiting: true });
    expect(rows.every((r) => r.last_error !== null)).toBe(true);
    // Ours are done here at once, whatever the providers say.
    const [{ scrubbed }] = (await db`
      select count(*)::int as scrubbed from public.calls where org_id = ${o.org.id} and from_number is null`) as unknown as [{ scrubbed: number }];
    expect(scrubbed).toBe(o.expired.length);

    // Still down, the other way round, when the backoff has passed.
    twilioFake.failNext(1000, 'timeout');
    elFake.failNext(1000, '500');
    await makeDue();
    const stillDown = await runJobNow(ctx, 'provider-deletions', jobDefinitions());
    expect(stillDown.counts.retried).toBeGreaterThanOrEqual(2 * o.expired.length);
    rows = await due();
    for (const r of rows) expect(r).toMatchObject({ status: 'pending', attempts: 2, waiting: true });
    expect(deletedAtProviders(o.bundles)).toEqual({ recordings: [], conversations: [] });

    // Back up: the next run of provider-deletions finishes everything.
    twilioFake.failNext(0, '500');
    elFake.failNext(0, '500');
    await makeDue();
    const recovered = await runJobNow(ctx, 'provider-deletions', jobDefinitions());
    expect(recovered.counts.done).toBeGreaterThanOrEqual(2 * o.expired.length);
    rows = await due();
    for (const r of rows) expect(r).toMatchObject({ status: 'done', attempts: 3, last_error: null });
    const [run] = await db`select status, counts from public.job_runs where id = ${recovered.runId}`;
    expect(run).toMatchObject({ status: 'succeeded', counts: recovered.counts });

    // Nothing twice: a later purge and another worker run send nothing more.
    await runRetentionPurge(ctx);
    await runJobNow(ctx, 'provider-deletions', jobDefinitions());
    const deleted = deletedAtProviders(o.bundles);
    expect(sorted(deleted.recordings)).toEqual(sorted(o.expired.map((b) => b.recordingSid)));
    expect(sorted(deleted.conversations)).toEqual(sorted(o.expired.map((b) => b.conversationId)));
    for (const b of o.kept) {
      expect(twilioFake.recordings.has(b.recordingSid)).toBe(true);
      expect(elFake.conversations.has(b.conversationId)).toBe(true);
    }
  });
});

describe('job history', () => {
  it('goes after 90 days, except runs still going and each job\'s latest success', async () => {
    const at = (days: number) => new Date(NOW.getTime() - days * DAY);
    const job = (name: string) => `history-test-${name}`;
    const rows = await db<{ id: string; label: string }[]>`
      insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at)
      values
        (${job('a')}, ${at(200)}, 'test', 'succeeded', ${at(200)}, ${at(200)}),
        (${job('a')}, ${at(120)}, 'test', 'failed', ${at(120)}, ${at(120)}),
        (${job('a')}, ${at(95)}, 'test', 'succeeded', ${at(95)}, ${at(95)}),
        (${job('a')}, ${at(89)}, 'test', 'failed', ${at(89)}, ${at(89)}),
        (${job('b')}, ${at(300)}, 'test', 'succeeded', ${at(300)}, ${at(300)}),
        (${job('b')}, ${at(250)}, 'test', 'running', ${at(250)}, null),
        (${job('c')}, ${at(100)}, 'test', 'failed', ${at(100)}, ${at(100)})
      returning id, job_name || ':' || status || ':' || extract(day from ${NOW}::timestamptz - started_at)::int as label`;
    expect(rows).toHaveLength(7);

    const counts = await runRetentionPurge(ctx);
    expect(counts.job_runs_pruned).toBe(3);
    const left = await db<{ label: string }[]>`
      select job_name || ':' || status || ':' || extract(day from ${NOW}::timestamptz - started_at)::int as label
      from public.job_runs where job_name like 'history-test-%' order by job_name, started_at`;
    expect(left.map((r) => r.label)).toEqual([
      `${job('a')}:succeeded:95`, // a's latest success, though older than 90 days
      `${job('a')}:failed:89`, // younger than 90 days
      `${job('b')}:succeeded:300`, // b's only success
      `${job('b')}:running:250`, // never while running
    ]);
    expect((await runRetentionPurge(ctx)).job_runs_pruned).toBe(0);
  });
});

/**
 * The text of the statement `run` sends on a transaction (its template
 * strings, values and fragments left out), while it runs as usual. Fragments
 * are built first, as the statement's arguments: the statement comes last.
 */
async function statementOf(run: (tx: Tx) => Promise<unknown>): Promise<string> {
  const texts: string[] = [];
  await db.begin(async (tx) => {
    const spy = (first: unknown, ...rest: unknown[]) => {
      if (Array.isArray(first) && 'raw' in first) texts.push(first.join('${}'));
      return (tx as unknown as (...args: unknown[]) => unknown)(first, ...rest);
    };
    await run(spy as unknown as Tx);
  });
  return texts.at(-1)!;
}

/** The columns of a predicate `(a is not null or b is not null …)`, as PostgreSQL or the statement writes it. */
const notNullColumns = (predicate: string) => [...predicate.matchAll(/"?(\w+)"?\)? is not null/gi)].map((m) => m[1]!);

describe('the purge and the personal-data map agree', () => {
  const window = { orgId: randomUUID(), cutoff: NOW, now: NOW, from: '-infinity', limit: 1 };

  it('calls are found by the partial index\'s literal predicate, over the columns the map clears', async () => {
    const statement = await statementOf((tx) => scrubCallsBatch(tx, window));
    const literal = /\((\w+ is not null(?: or \w+ is not null)*)\)/.exec(statement)?.[1];
    expect(literal, 'the due predicate of scrubCallsBatch').toBeDefined();
    const [index] = await db<{ predicate: string }[]>`
      select pg_get_expr(indpred, indrelid) as predicate from pg_catalog.pg_index where indexrelid = 'public.calls_retention_due_idx'::regclass`;
    // The statement's predicate is the index's, or the planner cannot use the index.
    expect(sorted(notNullColumns(literal!))).toEqual(sorted(notNullColumns(index!.predicate)));
    // And it names what the map clears after the window, but answer_twiml: that
    // one is written when the call is answered, after the insert, and kept out of
    // the index so that the call flow's updates stay HOT (the migration's reason).
    // A column the map adds must be added to the index and the predicate, or here.
    const notIndexed = ['answer_twiml'];
    expect(sorted(notNullColumns(literal!))).toEqual(sorted(retentionColumns('calls', 'null_columns').filter((c) => !notIndexed.includes(c))));
  });

  it('each batch ages its rows by the column the map names', async () => {
    const batches: [table: string, run: (tx: Tx) => Promise<unknown>][] = [
      ['leads', (tx) => anonymiseLeadsBatch(tx, window)],
      ['recordings', (tx) => queueRecordingsBatch(tx, window)],
      ['calls', (tx) => scrubCallsBatch(tx, window)],
      ['call_consents', (tx) => scrubConsentsBatch(tx, window)],
      ['exports', (tx) => deleteExportsBatch(tx, window)],
    ];
    for (const [table, run] of batches) {
      const ages = new Set(
        Object.values(PERSONAL_DATA_MAP[table]!.personal).flatMap((c) => (c.retention.rule === 'org_window' ? [c.retention.age] : [])),
      );
      expect([...ages], table).toHaveLength(1);
      const statement = await statementOf(run);
      expect(statement, table).toContain(`${[...ages][0]} < \${}`);
    }
  });

  it('exports go whole after the window: every personal column of the table says so', () => {
    expect(sorted(retentionColumns('exports', 'delete_row'))).toEqual(sorted(Object.keys(PERSONAL_DATA_MAP.exports!.personal)));
  });
});
