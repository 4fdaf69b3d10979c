/**
 * Writing and reading `public.transcripts` rows, plaintext or encrypted
 * (see transcript-crypto.ts for the format). A row holds either `content`
 * (plaintext JSON) or `ciphertext` with its `key_id`, never both.
 */
import { randomUUID } from 'node:crypto';
import type { TranscriptReader } from '../calls/calls-service.js';
import type { Tx } from '../db/database.js';
import { decryptTranscript, encryptTranscript, type TranscriptKeyring } from './transcript-crypto.js';
import * as repo from './transcripts-repo.js';

export interface StoreTranscriptInput {
  orgId: string;
  callId: string;
  conversationId: string;
  turns: unknown;
  /** The organisation's `transcript_encryption` switch, read in the same transaction. */
  encrypt: boolean;
}

/**
 * Stores a call's transcript, one row per call (a redelivered webhook
 * replaces the turns). The row id is chosen here, before encrypting, because
 * the ciphertext is bound to it. A row that is already encrypted stays
 * encrypted even if the switch has since been turned off: turning it off
 * never brings plaintext back.
 */
export async function storeTranscript(
  tx: Tx,
  keyring: TranscriptKeyring,
  keyId: string,
  input: StoreTranscriptInput,
): Promise<{ id: string; encrypted: boolean }> {
  for (let attempt = 0; ; attempt += 1) {
    // Locks the existing row, so the encryption job cannot rewrite it under us.
    const existing = await repo.lockTranscriptOfCall(tx, input.callId);
    const id = existing?.id ?? randomUUID();
    const encrypt = input.encrypt || Boolean(existing?.encrypted);
    const content = encrypt ? null : tx.json(input.turns as never);
    const ciphertext = encrypt ? encryptTranscript(keyring, keyId, { orgId: input.orgId, transcriptId: id }, input.turns) : null;
    const storedKeyId = encrypt ? keyId : null;

    if (existing) {
      await repo.updateTranscript(tx, { id, content, ciphertext, keyId: storedKeyId, conversationId: input.conversationId });
      return { id, encrypted: encrypt };
    }
    const inserted = await repo.insertTranscript(tx, {
      id, orgId: input.orgId, callId: input.callId, conversationId: input.conversationId, content, ciphertext, keyId: storedKeyId,
    });
    if (inserted) return { id, encrypted: encrypt };
    // A concurrent delivery inserted the row first (and has committed, or the insert
    // would still be waiting): its id is the one to bind to, so go round once more.
    if (attempt >= 1) throw new Error('Transcript row for this call keeps changing; giving up.');
  }
}

/**
 * The calls service's reader: plaintext rows as they are, encrypted rows
 * decrypted with the keyring. A row that cannot be decrypted throws
 * `TranscriptDecryptionError`; the caller decides how to report it.
 */
export function createTranscriptReader(keyring: TranscriptKeyring): TranscriptReader {
  return {
    read(row) {
      if (row.ciphertext === null) return row.content;
      return decryptTranscript(keyring, { orgId: row.org_id, transcriptId: row.id }, row.ciphertext);
    },
  };
}
