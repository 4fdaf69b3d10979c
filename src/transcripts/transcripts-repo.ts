/**
 * SQL for public.transcripts: one row per call, holding either `content`
 * (plaintext JSON) or `ciphertext` with its `key_id` (see transcript-crypto.ts).
 * Each function takes the transaction to run in.
 */
import type { Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';

/** Plaintext turns as a JSON parameter (`tx.json(turns)`), or null when the row holds ciphertext. */
type Content = ReturnType<Tx['json']> | null;

/** A transcript row as the reader decrypts it. */
export interface TranscriptRow {
  id: string;
  org_id: string;
  content: unknown;
  ciphertext: string | null;
  key_id: string | null;
}

/** The call's transcript, if any, locked so the encryption job cannot rewrite it under the caller. */
export async function lockTranscriptOfCall(tx: Tx, callId: string): Promise<{ id: string; encrypted: boolean } | undefined> {
  const [row] = await tx<{ id: string; encrypted: boolean }[]>`
      select id, ciphertext is not null as encrypted from public.transcripts where call_id = ${callId} for update`;
  return row;
}

/** Replaces a transcript's turns (plaintext, or ciphertext with its key id). */
export async function updateTranscript(
  tx: Tx,
  t: { id: string; content: Content; ciphertext: string | null; keyId: string | null; conversationId: string },
): Promise<void> {
  await tx`
        update public.transcripts
        set content = ${t.content}, ciphertext = ${t.ciphertext}, key_id = ${t.keyId},
            elevenlabs_conversation_id = ${t.conversationId}
        where id = ${t.id}`;
}

/** Inserts the call's transcript; false when a concurrent delivery inserted it first. */
export async function insertTranscript(
  tx: Tx,
  t: { id: string; orgId: string; callId: string; conversationId: string; content: Content; ciphertext: string | null; keyId: string | null },
): Promise<boolean> {
  const inserted = await tx`
      insert into public.transcripts (id, org_id, call_id, elevenlabs_conversation_id, content, ciphertext, key_id)
      values (${t.id}, ${t.orgId}, ${t.callId}, ${t.conversationId}, ${t.content}, ${t.ciphertext}, ${t.keyId})
      on conflict (call_id) do nothing
      returning id`;
  return inserted.length > 0;
}

/** The call's transcript row for its detail page. */
export function findTranscriptOfCall(tx: Tx, callId: string) {
  return tx<TranscriptRow[]>`
          select id, org_id, content, ciphertext, key_id from public.transcripts where call_id = ${callId}`;
}

/** Deletes the call's transcript. `count` says how many. */
export function deleteTranscriptOfCall(tx: Tx, callId: string) {
  return tx`delete from public.transcripts where call_id = ${callId}`;
}

/** Erasure: deletes the transcripts of these calls. `count` says how many. */
export function deleteTranscriptsOfCalls(tx: Tx, callIds: string[]) {
  return tx`delete from public.transcripts where call_id = any(${callIds}::uuid[])`;
}

/** The transcripts of these calls for an export, with the personal columns the map exports (the turns, to decrypt). */
export function listTranscriptsForExport(tx: Tx, callIds: string[]) {
  return tx<(TranscriptRow & { call_id: string; created_at: Date })[]>`
      select ${tx(['id', 'org_id', 'call_id', ...exportedColumns('transcripts'), 'key_id', 'created_at'])}
      from public.transcripts where call_id = any(${callIds}::uuid[])`;
}

/** A row the encryption job may have to encrypt or re-encrypt. */
export interface TranscriptToEncrypt {
  id: string;
  org_id: string;
  content: unknown;
  ciphertext: string | null;
}

/**
 * The next batch after `after` (in id order) that still needs work:
 * plaintext of organisations that encrypt, or ciphertext under another key
 * than `currentKeyId`. Rows are locked; rows others hold are skipped.
 */
export function lockTranscriptsToEncrypt(tx: Tx, p: { after: string; currentKeyId: string; batchSize: number }) {
  return tx<TranscriptToEncrypt[]>`
        select t.id, t.org_id, t.content, t.ciphertext
        from public.transcripts t
        left join public.privacy_preferences p on p.org_id = t.org_id
        where t.id > ${p.after}
          and ((t.content is not null and p.transcript_encryption)
               or (t.ciphertext is not null and t.key_id is distinct from ${p.currentKeyId}))
        order by t.id
        limit ${p.batchSize}
        for update of t skip locked`;
}

/** Writes a batch of ciphertexts under `keyId`, clearing the plaintext, in one statement. */
export function writeCiphertexts(tx: Tx, keyId: string, ids: string[], ciphertexts: string[]) {
  return tx`
            update public.transcripts t
            set content = null, ciphertext = v.ciphertext, key_id = ${keyId}
            from unnest(${ids}::uuid[], ${ciphertexts}::text[]) as v (id, ciphertext)
            where t.id = v.id`;
}
