import { randomBytes } from 'node:crypto';
import type { ServiceDb } from '../../src/db/database.js';
import type { TestOrg } from './harness.js';

/** A call with a consent proof, a fingerprinted recording and a transcript (fixture rows, as the webhooks leave them). */
export async function seedCall(db: ServiceDb, org: TestOrg, from: string, outcome: string, consent: string): Promise<string> {
  const sid = `CA${randomBytes(16).toString('hex')}`;
  const [call] = await db<{ id: string }[]>`
    insert into public.calls (org_id, twilio_call_sid, from_number, status, outcome, consent_state, greeting_sha256)
    values (${org.id}, ${sid}, ${from}, ${outcome}, ${outcome}, ${consent}, ${'ab'.repeat(32)}) returning id`;
  await db`insert into public.call_consents (org_id, call_id, twilio_call_sid, prompt_language, prompt_version, prompt_hash, digit, outcome)
           values (${org.id}, ${call!.id}, ${sid}, 'en', 'en-1', 'hash', '1', 'given')`;
  await db`insert into public.recordings (org_id, call_id, twilio_recording_sid, status, sha256)
           values (${org.id}, ${call!.id}, ${`RE${randomBytes(16).toString('hex')}`}, 'completed', ${'cd'.repeat(32)})`;
  await db`insert into public.transcripts (org_id, call_id, content) values (${org.id}, ${call!.id}, ${db.json([{ role: 'agent', message: 'Hello <b>there</b>' }])})`;
  return call!.id;
}

/** A lead as the post-call webhook leaves it (a fixture row), optionally linked to a call. */
export async function seedLead(
  db: ServiceDb,
  org: TestOrg,
  lead: { name: string | null; phone: string | null; email?: string | null; notes?: string | null; callId?: string | null; createdAt?: Date },
): Promise<string> {
  const [row] = await db<{ id: string }[]>`
    insert into public.leads (org_id, call_id, name, phone, email, notes, created_at)
    values (${org.id}, ${lead.callId ?? null}, ${lead.name}, ${lead.phone}, ${lead.email ?? null}, ${lead.notes ?? null}, ${lead.createdAt ?? new Date()})
    returning id`;
  return row!.id;
}
