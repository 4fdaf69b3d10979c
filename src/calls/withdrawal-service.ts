import { z } from 'zod';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import { parse } from '../lib/validate.js';
import { safeEqual } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { stopRecordingSecret } from '../providers/stop-recording-tool.js';
import * as transcriptsRepo from '../transcripts/transcripts-repo.js';
import * as consentsRepo from './call-consents-repo.js';
import * as repo from './calls-repo.js';
import { withdrawalStep } from './consent-transitions.js';
import * as leadsRepo from './leads-repo.js';
import * as recordingsRepo from './recordings-repo.js';
import { WITHDRAWAL_PROMPT, withdrawalMessage } from './withdrawal-messages.js';

/** Stands in for a missing agent, so an unknown call costs the same HMAC and comparison as a known one. */
const NO_AGENT = '00000000-0000-0000-0000-000000000000';

export const withdrawalBody = z.object({
  call_id: z.string().uuid({ message: 'must be a call id (UUID)' }),
  // ElevenLabs' conversation ids are short words of letters, digits and underscores.
  conversation_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an ElevenLabs conversation id' })
    .optional(),
});

export class ToolSecretError extends AppError {
  constructor() {
    super(401, 'invalid_secret', 'The stop_recording tool secret is missing or does not match this call.');
  }
}

export interface WithdrawalAnswer {
  status: 'recording_stopped';
  /** The sentence the agent says to the caller, in the agent's language. */
  message: string;
}

export interface WithdrawalDeps extends DeletionWorkerDeps {
  serviceDb: ServiceDb;
  /** ELEVENLABS_WEBHOOK_SECRET: each agent's tool secret is derived from it. */
  webhookSecret: string;
}

/**
 * Withdrawal of consent to recording mid-call (GDPR Art. 7(3)), behind the
 * agents' `stop_recording` webhook tool. The caller asks the agent; ElevenLabs
 * posts the call id and conversation id with the agent's tool secret. We stop
 * and delete the Twilio recording (the one recording of a call: no agent
 * records voice at ElevenLabs), delete the ElevenLabs conversation (it holds
 * the transcript), keep the proof of the withdrawal, and answer the sentence
 * the agent says. Deletions are queued in the same transaction as the decision
 * and worked at once after the answer; a provider outage leaves them queued.
 */
export function createWithdrawalService(deps: WithdrawalDeps) {
  const db = deps.serviceDb;

  /** Stops and deletes at the providers right away; what fails stays queued for the deletion job. */
  async function workNow(orgId: string, recordingSids: string[], conversationIds: string[]): Promise<void> {
    const jobs = [
      ...recordingSids.map((id) => ({ provider: 'twilio', resourceType: 'recording', resourceId: id })),
      ...conversationIds.map((id) => ({ provider: 'elevenlabs', resourceType: 'conversation', resourceId: id })),
    ];
    const results = await Promise.allSettled(jobs.map((only) => runProviderDeletions(deps, { only })));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed) logger.warn({ org_id: orgId, failed }, 'withdrawal: some deletions could not be started now; they stay queued');
  }

  return {
    /**
     * POST /webhooks/elevenlabs/tools/stop-recording. Returns the answer and
     * the provider work to run once it is sent.
     */
    async withdraw(secret: string | undefined, input: unknown): Promise<{ answer: WithdrawalAnswer; after?: () => Promise<void> }> {
      const body = parse(withdrawalBody, input);
      // The secret belongs to the call's agent. Unknown call, call without an agent,
      // missing or wrong secret: one answer and the same work, so the endpoint tells
      // nobody which call ids exist.
      const [found] = await repo.findCallAgent(db, body.call_id);
      const expected = stopRecordingSecret(deps.webhookSecret, found?.agent_id ?? NO_AGENT);
      const matches = safeEqual(expected, secret ?? '');
      if (!matches || !found?.agent_id) throw new ToolSecretError();
      const agentId = found.agent_id;

      return db.begin(async (tx) => {
        const [call] = await repo.lockCallForWithdrawal(tx, body.call_id);
        // The agent may have been detached in between: the secret no longer fits.
        if (!call || call.agent_id !== agentId) throw new ToolSecretError();
        const step = withdrawalStep(call);
        if (step === 'call_ended') {
          throw new AppError(409, 'call_ended', 'This call has ended: a stop_recording tool call is accepted only during the call.');
        }
        const answer: WithdrawalAnswer = { status: 'recording_stopped', message: withdrawalMessage(call.agent_language) };
        // Already withdrawn (a retried tool call), or refused at the keypad (nothing was
        // ever recorded): the same answer, and nothing new to write.
        if (step === 'nothing_to_withdraw') return { answer };

        await repo.markConsentWithdrawn(tx, call.id, body.conversation_id ?? null);
        // Proof of the withdrawal (Art. 7(1) and 7(3)), append-only next to the proof of
        // consent: which instruction led to it, in which language, and when. The call row
        // is locked, so the next attempt number cannot race.
        await consentsRepo.insertWithdrawal(tx, {
          orgId: call.org_id,
          callId: call.id,
          callSid: call.twilio_call_sid,
          callerHash: call.from_hash,
          country: call.caller_country,
          language: call.agent_language ?? 'en',
          promptVersion: WITHDRAWAL_PROMPT.version,
          promptHash: WITHDRAWAL_PROMPT.hash,
        });

        // Every recording Twilio made of the call. One started a moment ago and not yet
        // stored is caught by startRecording, which checks recording_allowed under this lock.
        const recordings = await recordingsRepo.liveRecordingSidsOfCall(tx, call.id);
        const recordingSids = recordings.map((r) => r.twilio_recording_sid);
        const conversationIds = [...new Set([body.conversation_id, call.elevenlabs_conversation_id].filter((c): c is string => !!c))];
        for (const resourceId of recordingSids) {
          await queueProviderDeletion(tx, { orgId: call.org_id, provider: 'twilio', resourceType: 'recording', resourceId, reason: 'consent_withdrawn' });
        }
        for (const resourceId of conversationIds) {
          await queueProviderDeletion(tx, { orgId: call.org_id, provider: 'elevenlabs', resourceType: 'conversation', resourceId, reason: 'consent_withdrawn' });
        }
        await recordingsRepo.markRecordingsOfCallDeleted(tx, call.id);
        // Normally nothing yet (the post-call webhook comes after the call), but whatever is kept goes.
        const transcripts = await transcriptsRepo.deleteTranscriptOfCall(tx, call.id);
        const leads = await leadsRepo.deleteLeadsOfCall(tx, call.id);

        await writeAudit(tx, { type: 'provider' }, {
          orgId: call.org_id,
          action: 'call.consent_withdrawn',
          targetType: 'call',
          targetId: call.id,
          metadata: {
            previous_consent_state: call.consent_state,
            recordings: recordingSids.length,
            conversations: conversationIds.length,
            transcripts_deleted: transcripts.count,
            leads_deleted: leads.count,
            prompt_version: WITHDRAWAL_PROMPT.version,
          },
        });
        logger.info({ call_id: call.id, org_id: call.org_id, recordings: recordingSids.length }, 'a caller withdrew consent to recording');
        return { answer, after: () => workNow(call.org_id, recordingSids, conversationIds) };
      });
    },
  };
}

export type WithdrawalService = ReturnType<typeof createWithdrawalService>;
