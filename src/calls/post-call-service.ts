import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import * as deletionsRepo from '../deletions/provider-deletions-repo.js';
import { keyedHash, safeEqual } from '../lib/crypto.js';
import { AppError, ValidationError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { replaceNul } from '../lib/storable.js';
import * as noncesRepo from '../db/used-nonces-repo.js';
import * as preferencesRepo from '../preferences/preferences-repo.js';
import * as repo from './calls-repo.js';
import * as leadsRepo from './leads-repo.js';
import type { TranscriptKeyring } from '../transcripts/transcript-crypto.js';
import { storeTranscript } from '../transcripts/transcript-store.js';

/** Signatures older than this are refused (ElevenLabs' own tolerance is 30 minutes). */
export const SIGNATURE_MAX_AGE_SECONDS = 30 * 60;
/** Clocks drift, but not this much: a signature from further in the future is refused. */
export const SIGNATURE_MAX_FUTURE_SECONDS = 5 * 60;

export class SignatureError extends AppError {
  constructor(message: string) {
    super(401, 'invalid_signature', message);
  }
}

/**
 * Checks `ElevenLabs-Signature: t=<unix seconds>,v0=<hex HMAC-SHA256 of "t.body">`
 * over the raw body, in constant time, within the time window. Returns the
 * signature (the replay key).
 */
export function verifyElevenLabsSignature(header: string | undefined, rawBody: Buffer, secret: string, nowSeconds: number): string {
  if (!header) throw new SignatureError('Missing ElevenLabs-Signature header.');
  const parts = Object.fromEntries(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }),
  ) as Record<string, string | undefined>;
  const t = parts.t && /^\d{1,12}$/.test(parts.t) ? Number(parts.t) : NaN;
  const v0 = parts.v0 && /^[0-9a-f]{64}$/i.test(parts.v0) ? parts.v0.toLowerCase() : undefined;
  if (!Number.isFinite(t) || !v0) throw new SignatureError('Malformed ElevenLabs-Signature header.');
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
  if (!safeEqual(expected, v0)) throw new SignatureError('ElevenLabs-Signature does not match the body.');
  if (t < nowSeconds - SIGNATURE_MAX_AGE_SECONDS) throw new SignatureError('ElevenLabs-Signature is too old.');
  if (t > nowSeconds + SIGNATURE_MAX_FUTURE_SECONDS) throw new SignatureError('ElevenLabs-Signature is dated in the future.');
  return `${t}:${v0}`;
}

const transcriptTurn = z.looseObject({
  role: z.string().max(32),
  message: z.string().max(100_000).nullish(),
  time_in_call_secs: z.number().nullish(),
});

const postCallPayload = z.looseObject({
  type: z.string().max(64),
  event_timestamp: z.number().optional(),
  data: z.looseObject({
    agent_id: z.string().max(128),
    conversation_id: z.string().min(1).max(128),
    status: z.string().max(64).optional(),
    transcript: z.array(transcriptTurn).max(10_000).default([]),
    metadata: z.looseObject({ phone_call: z.looseObject({ call_sid: z.string().max(64).optional() }).nullish() }).nullish(),
    analysis: z
      .looseObject({
        data_collection_results: z.record(z.string(), z.looseObject({ value: z.unknown() })).nullish(),
      })
      .nullish(),
    conversation_initiation_client_data: z
      .looseObject({ dynamic_variables: z.record(z.string(), z.unknown()).nullish() })
      .nullish(),
  }),
});

export interface PostCallDeps extends DeletionWorkerDeps {
  serviceDb: ServiceDb;
  blindIndexKey: Buffer;
  webhookSecret: string;
  /** Keyring and current key id for organisations that encrypt transcripts. */
  transcriptKeys: TranscriptKeyring;
  transcriptKeyId: string;
  now?: () => number;
}

export type PostCallResult =
  | { status: 'stored'; call_id: string }
  | { status: 'discarded_no_consent'; call_id: string }
  | { status: 'ignored'; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * ElevenLabs' post-call webhook: verified, refused when replayed, then the
 * transcript and the caller as a lead are stored, unless the caller refused
 * recording, in which case nothing of the conversation is kept and
 * ElevenLabs' copy is deleted.
 */
export function createPostCallService(deps: PostCallDeps) {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    async receive(signature: string | undefined, rawBody: Buffer): Promise<{ result: PostCallResult; after?: () => Promise<void> }> {
      const replayKey = verifyElevenLabsSignature(signature, rawBody, deps.webhookSecret, now());
      let json: unknown;
      try {
        // The signature covers the raw body; what we keep must be storable. A NUL
        // character (PostgreSQL's text and jsonb refuse it) would lose the whole
        // delivery, so it is kept as U+FFFD instead.
        json = replaceNul(JSON.parse(rawBody.toString('utf8')));
      } catch {
        throw new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
      }
      const parsed = postCallPayload.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ValidationError(`Invalid body: ${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const { type, data } = parsed.data;
      const t = Number(replayKey.split(':')[0]);

      return deps.serviceDb.begin(async (tx) => {
        const [fresh] = await noncesRepo.claimWebhookNonce(tx, replayKey, t + SIGNATURE_MAX_AGE_SECONDS + 60);
        if (!fresh) throw new AppError(409, 'replayed', 'This webhook delivery was already received.');

        if (type !== 'post_call_transcription') return { result: { status: 'ignored', reason: `type ${type}` } as PostCallResult };

        const vars = data.conversation_initiation_client_data?.dynamic_variables ?? {};
        const callId = typeof vars.call_id === 'string' && UUID.test(vars.call_id) ? vars.call_id : undefined;
        const callSid = data.metadata?.phone_call?.call_sid;
        const call = callId ? await repo.findCallById(tx, callId) : callSid ? await repo.findCallBySid(tx, callSid) : undefined;
        if (!call) {
          logger.warn({ conversation_id: data.conversation_id }, 'post-call webhook for a call we do not know');
          return { result: { status: 'ignored', reason: 'unknown call' } as PostCallResult };
        }
        await repo.setConversationId(tx, call.id, data.conversation_id);

        if (!call.recording_allowed) {
          await queueProviderDeletion(tx, {
            orgId: call.org_id,
            provider: 'elevenlabs',
            resourceType: 'conversation',
            resourceId: data.conversation_id,
            reason: 'no_consent',
          });
          // A caller who withdrew consent mid-call had the conversation deleted then, and
          // talked on: ElevenLabs holds it again now (it just sent us its transcript), so a
          // deletion already done is owed once more.
          await deletionsRepo.reopenDoneConversationDeletion(tx, data.conversation_id);
          await writeAudit(tx, { type: 'provider' }, {
            orgId: call.org_id,
            action: 'call.conversation_discarded',
            targetType: 'call',
            targetId: call.id,
            metadata: { reason: 'no_consent' },
          });
          return {
            result: { status: 'discarded_no_consent', call_id: call.id } as PostCallResult,
            after: () =>
              runProviderDeletions(deps, { only: { provider: 'elevenlabs', resourceType: 'conversation', resourceId: data.conversation_id } }).then(() => {}),
          };
        }

        const turns = data.transcript.map((turn) => ({ role: turn.role, message: turn.message ?? '', time_in_call_secs: turn.time_in_call_secs ?? null }));
        // Read in this transaction: a switch turned on a moment later is caught by the encryption job.
        const [prefs] = await preferencesRepo.findTranscriptEncryption(tx, call.org_id);
        await storeTranscript(tx, deps.transcriptKeys, deps.transcriptKeyId, {
          orgId: call.org_id,
          callId: call.id,
          conversationId: data.conversation_id,
          turns,
          encrypt: prefs?.transcript_encryption ?? false,
        });

        const collected = data.analysis?.data_collection_results ?? {};
        const nameValue = collected.name?.value ?? collected.caller_name?.value;
        const emailValue = collected.email?.value;
        const name = typeof nameValue === 'string' ? nameValue.slice(0, 200) : null;
        const email = typeof emailValue === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(emailValue) ? emailValue.trim().toLowerCase() : null;
        const [existingLead] = await leadsRepo.findLeadOfCall(tx, call.id);
        if (!existingLead) {
          await leadsRepo.insertLead(tx, {
            orgId: call.org_id,
            callId: call.id,
            name,
            phone: call.from_number,
            phoneHash: call.from_hash,
            email,
            emailHash: email ? keyedHash(deps.blindIndexKey, 'email', email) : null,
          });
        }
        return { result: { status: 'stored', call_id: call.id } as PostCallResult };
      });
    },
  };
}

export type PostCallService = ReturnType<typeof createPostCallService>;
