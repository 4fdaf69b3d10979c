import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import { consentPrompt, disclaimerFor } from '../agents/disclaimer-catalogue.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { queueProviderDeletion, runProviderDeletions } from '../deletions/provider-deletions.js';
import { keyedPhoneHash } from '../lib/crypto.js';
import { logger } from '../lib/logger.js';
import { canonicalPhone } from '../lib/phone.js';
import { ProviderError, type AgentPlatform } from '../providers/agent-platform.js';
import { queueDelivery } from '../recording-storage/recording-deliveries-repo.js';
import { runRecordingDeliveries, type RecordingDeliveryDeps } from '../recording-storage/recording-delivery.js';
import type { Telephony } from '../providers/telephony.js';
import { callerCountry, countryLanguage, LISTED_CONSENT_COUNTRIES } from './caller-country.js';
import * as consentsRepo from './call-consents-repo.js';
import { CANNOT_TAKE_CALL, createConsentTwiml, greetingFor, NOBODY_AVAILABLE, politeHangup } from './call-twiml.js';
import * as repo from './calls-repo.js';
import type { CallRouting, CallRow } from './calls-repo.js';
import {
  consentOutcome,
  isSettledConsentAnswer,
  isSettledIncomingCall,
  nextConsentStep,
  pendingPromptAttempt,
  pressedDigit,
  recordedAtIntake,
  TERMINAL_STATUSES,
} from './consent-transitions.js';
import * as recordingsRepo from './recordings-repo.js';
import { fingerprintRecording } from './recording-integrity.js';

export interface CallFlowDeps {
  serviceDb: ServiceDb;
  telephony: Telephony;
  agentPlatform: AgentPlatform;
  publicBaseUrl: string;
  blindIndexKey: Buffer;
  /** Delivery to the organisation's own store, tried right after a recording completes (the job retries). */
  recordingDeliveries?: RecordingDeliveryDeps;
}

export interface IncomingCall {
  CallSid: string;
  From?: string;
  To: string;
  FromCountry?: string;
}

/** What the route does once the answer is sent (work that must not delay Twilio). */
export interface Answer {
  twiml: string;
  after?: () => Promise<void>;
}

/**
 * The call flow behind Twilio's webhooks: route the call, ask for keypad
 * consent where the law wants it, connect the caller to the agent with a
 * greeting that tells the truth about recording, and start a recording only
 * with consent (or where no prompt applies). Every step is idempotent by
 * CallSid: Twilio retries, and a retry gets the same answer.
 */
export function createCallFlowService(deps: CallFlowDeps) {
  const { serviceDb: db } = deps;
  const url = (path: string) => `${deps.publicBaseUrl}${path}`;

  // Incoming calls that arrive together are routed and stored together: one
  // statement and one commit per batch, and each caller is answered only once
  // their call is stored. One batch is in flight at a time; calls arriving
  // meanwhile join the next one (natural batching: no added wait when calls
  // are few, bigger batches when they are many). Measured with the server in
  // its own process (`npm run bench -- incoming`, webhooks served ahead of
  // Express), one batch in flight beats two: its batches are larger (about 24
  // calls a commit against 16) and two batches in flight take key-share locks
  // on the same parent rows at once (organisation, agent, number), which makes
  // the database create a multixact each time; the database spends 58-70 µs
  // a call against 75-79. A failed batch is retried call by call, so one bad
  // call never fails the others.
  const MAX_IN_FLIGHT = 1;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const nextBatch = () => {
    const run = waiting.shift();
    if (run) setImmediate(run);
    else inFlight -= 1;
  };
  const intake = new DataLoader<repo.NewCall, repo.RoutedCall | undefined>(
    async (calls) => {
      try {
        return await repo.routeAndInsertCalls(db, calls);
      } catch (err) {
        if (calls.length === 1) throw err;
        return Promise.all(
          calls.map((c) =>
            repo.routeAndInsertCalls(db, [c]).then(
              ([r]) => r,
              (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
            ),
          ),
        );
      } finally {
        nextBatch();
      }
    },
    {
      cache: false,
      maxBatchSize: 500,
      batchScheduleFn: (run) => {
        if (inFlight >= MAX_IN_FLIGHT) waiting.push(run);
        else {
          inFlight += 1;
          setImmediate(run);
        }
      },
    },
  );

  // The dialled number is always one of our own few numbers: read once each, not per call
  // (parsing a number is a noticeable share of an incoming call's CPU). Bounded, so numbers
  // we do not serve cannot grow it without limit.
  const dialledCache = new Map<string, string>();
  function dialled(to: string): string {
    let e164 = dialledCache.get(to);
    if (e164 === undefined) {
      e164 = canonicalPhone(to) ?? to;
      if (dialledCache.size >= 10_000) dialledCache.clear();
      dialledCache.set(to, e164);
    }
    return e164;
  }

  const consentTwiml = createConsentTwiml(deps.publicBaseUrl);

  /** Registers the call at the agent platform; stores the answer on the call. */
  async function connect(tx: Tx, call: CallRow, route: CallRouting, recorded: boolean): Promise<Answer> {
    if (!route.agent_id || !route.elevenlabs_agent_id || !route.agent_language || !disclaimerFor(route.agent_language)) {
      logger.warn({ call_id: call.id, org_id: call.org_id }, 'the number has no usable agent');
      return { twiml: politeHangup(NOBODY_AVAILABLE) };
    }
    const greeting = greetingFor(route, recorded);
    let twiml: string;
    try {
      twiml = await deps.agentPlatform.registerCall({
        externalAgentId: route.elevenlabs_agent_id,
        fromNumber: call.from_number ?? '',
        toNumber: call.to_number ?? '',
        firstMessage: greeting,
        language: route.agent_language,
        dynamicVariables: { call_id: call.id, org_id: call.org_id, recorded, caller_country: call.caller_country ?? 'unknown' },
      });
    } catch (err) {
      logger.error({ call_id: call.id, err_name: (err as Error).name, status: (err as ProviderError).status }, 'could not connect the call to the agent');
      return { twiml: politeHangup(CANNOT_TAKE_CALL) };
    }
    // Proof of the AI disclosure (AI Act Art. 50(1)): the exact greeting the
    // agent was told to open with, and the catalogue version of its disclosure.
    const greetingSha256 = createHash('sha256').update(greeting, 'utf8').digest('hex');
    await repo.markCallAnswered(tx, {
      callId: call.id,
      twiml,
      recorded,
      greetingSha256,
      disclosureVersion: disclaimerFor(route.agent_language)!.version,
    });
    return { twiml, after: recorded ? () => startRecording(call) : undefined };
  }

  /** Twilio only records a call that is in progress, i.e. after it has our answer: try a few times. */
  async function startRecording(call: CallRow): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      let started: { recordingSid: string; allowed: boolean };
      try {
        const { recordingSid } = await deps.telephony.startRecording(call.twilio_call_sid, url('/webhooks/twilio/recording'));
        // Stored under a share lock on the call: a withdrawal of consent (which locks the
        // call to collect its recordings) either sees this row or is seen here.
        const [row] = await recordingsRepo.storeStartedRecording(db, { orgId: call.org_id, callId: call.id, recordingSid });
        started = { recordingSid, allowed: row?.recording_allowed !== false };
      } catch (err) {
        logger.warn({ call_id: call.id, attempt, status: (err as ProviderError).status }, 'could not start the call recording');
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      if (!started.allowed) await discardWithdrawnRecording(call, started.recordingSid);
      return;
    }
    logger.error({ call_id: call.id }, 'the call is not recorded: Twilio did not start the recording');
  }

  /** Consent was withdrawn while Twilio was starting the recording: stopped and deleted at once. */
  async function discardWithdrawnRecording(call: CallRow, recordingSid: string): Promise<void> {
    await db.begin(async (tx) => {
      await queueProviderDeletion(tx, { orgId: call.org_id, provider: 'twilio', resourceType: 'recording', resourceId: recordingSid, reason: 'consent_withdrawn' });
      await recordingsRepo.markRecordingDeleted(tx, recordingSid);
    });
    await runProviderDeletions(deps, { only: { provider: 'twilio', resourceType: 'recording', resourceId: recordingSid } });
  }

  /** Replays the answer for a webhook Twilio delivers again. */
  function replay(call: CallRow): Answer {
    if (call.answer_twiml) return { twiml: call.answer_twiml };
    const lang = promptLanguageOf(call);
    if (call.consent_state === 'pending' && lang) return { twiml: consentTwiml(lang, pendingPromptAttempt(call.consent_attempts)) };
    return { twiml: politeHangup(CANNOT_TAKE_CALL) };
  }

  /** The consent prompt's language: fixed at intake (calls from before that column: by country). */
  function promptLanguageOf(call: CallRow): string | undefined {
    return call.consent_language ?? countryLanguage(call.caller_country);
  }

  return {
    /** POST /webhooks/twilio/voice */
    async incoming(p: IncomingCall): Promise<Answer> {
      const country = callerCountry(p.FromCountry, p.From) ?? null;
      // Numbers are kept (and hashed) in E.164; a caller id that is no number ("anonymous",
      // "client:…") is kept as Twilio sent it and has no keyed hash: nobody can be found by it.
      const from = p.From ? canonicalPhone(p.From) : null;
      const routed = await intake.load({
        callSid: p.CallSid,
        from: from ?? p.From ?? null,
        fromHash: from ? keyedPhoneHash(deps.blindIndexKey, from) : null,
        to: dialled(p.To),
        country,
        countryListed: country !== null && LISTED_CONSENT_COUNTRIES.has(country),
        countryLanguage: countryLanguage(country) ?? null,
      });
      if (!routed) {
        logger.warn({ call_sid: p.CallSid }, 'incoming call to a number we do not serve');
        return { twiml: politeHangup() };
      }
      const { call, ...route } = routed;
      if (call?.consent_state === 'pending' && call.consent_language) return { twiml: consentTwiml(call.consent_language, 1) };
      // Connecting (or a retry of a call we already know) happens with the call
      // row locked: of copies of one webhook arriving together, whichever locks
      // first connects the call and the others answer the same.
      return db.begin(async (tx) => {
        const locked = await repo.lockCallBySid(tx, p.CallSid);
        if (!locked) return { twiml: politeHangup() };
        if (isSettledIncomingCall(locked)) return replay(locked);
        return connect(tx, locked, route, recordedAtIntake(locked));
      });
    },

    /** POST /webhooks/twilio/consent?attempt=n: the key the caller pressed, or none. */
    async consent(p: { CallSid: string; Digits?: string }, attempt: number): Promise<Answer> {
      return db.begin(async (tx) => {
        const call = await repo.lockCallBySid(tx, p.CallSid);
        if (!call) {
          logger.warn({ call_sid: p.CallSid }, 'consent answer for a call we do not know');
          return { twiml: politeHangup() };
        }
        if (isSettledConsentAnswer(call, attempt)) return replay(call);
        const lang = promptLanguageOf(call);
        if (!lang) return replay(call);

        const digit = pressedDigit(p.Digits);
        const outcome = consentOutcome(digit);
        const prompt = consentPrompt(lang);
        // Proof of consent (Art. 7(1)): what was asked, in which words, and what was answered.
        // (The call row is locked, so this check cannot race; ON CONFLICT is not
        // available on a table with rules.)
        await consentsRepo.insertConsentAnswer(tx, {
          orgId: call.org_id,
          callId: call.id,
          callSid: call.twilio_call_sid,
          callerHash: call.from_hash,
          country: call.caller_country,
          language: lang,
          promptVersion: prompt.version,
          promptHash: prompt.hash,
          digit,
          outcome,
          attempt,
        });
        await repo.setConsentAttempts(tx, call.id, attempt);
        call.consent_attempts = attempt;

        const step = nextConsentStep(outcome, attempt);
        if (step.kind === 'ask_again') return { twiml: consentTwiml(lang, step.attempt) };
        await repo.setConsentState(tx, call.id, step.state);
        await writeAudit(tx, { type: 'provider' }, {
          orgId: call.org_id,
          action: step.state === 'given' ? 'call.consent_given' : 'call.consent_refused',
          targetType: 'call',
          targetId: call.id,
          metadata: { outcome, attempt, prompt_version: prompt.version },
        });
        const route = await repo.findRouting(tx, call.to_number ?? '');
        if (!route) return { twiml: politeHangup() };
        return connect(tx, call, route, step.recorded);
      });
    },

    /** POST /webhooks/twilio/status */
    async status(p: { CallSid: string; CallStatus: string; CallDuration?: number }): Promise<void> {
      const terminal = TERMINAL_STATUSES.has(p.CallStatus);
      const result = await repo.updateCallStatus(db, { callSid: p.CallSid, status: p.CallStatus, duration: p.CallDuration ?? null, terminal });
      if (result.count === 0) logger.warn({ call_sid: p.CallSid }, 'status update for a call we do not know');
    },

    /** POST /webhooks/twilio/recording */
    async recording(p: {
      CallSid: string;
      RecordingSid: string;
      RecordingStatus: string;
      RecordingDuration?: number;
      RecordingChannels?: number;
    }): Promise<Answer['after']> {
      const call = await repo.findCallBySid(db, p.CallSid);
      if (!call) {
        logger.warn({ call_sid: p.CallSid, recording_sid: p.RecordingSid }, 'recording for a call we do not know');
        return undefined;
      }
      await recordingsRepo.upsertRecording(db, {
        orgId: call.org_id,
        callId: call.id,
        recordingSid: p.RecordingSid,
        status: p.RecordingStatus,
        duration: p.RecordingDuration ?? null,
        channels: p.RecordingChannels ?? null,
      });
      if (!call.recording_allowed) {
        // Nothing may be recorded without consent: whatever Twilio made goes, at once.
        await db.begin(async (tx) => {
          await queueProviderDeletion(tx, { orgId: call.org_id, provider: 'twilio', resourceType: 'recording', resourceId: p.RecordingSid, reason: 'no_consent' });
          await recordingsRepo.markRecordingDeleted(tx, p.RecordingSid);
        });
        return () => runProviderDeletions(deps, { only: { provider: 'twilio', resourceType: 'recording', resourceId: p.RecordingSid } }).then(() => {});
      }
      if (p.RecordingStatus === 'completed') {
        // With storage configured, the recording is queued for delivery to the organisation's own store
        // (Twilio's copy is deleted only once that upload is confirmed).
        const [queued] = await queueDelivery(db, p.RecordingSid);
        return async () => {
          await fingerprint(p.RecordingSid);
          if (queued && deps.recordingDeliveries) await runRecordingDeliveries(deps.recordingDeliveries, { recordingId: queued.recording_id });
        };
      }
      return undefined;
    },
  };

  /**
   * Stores the SHA-256 of a completed recording, so a customer can verify a downloaded
   * file. A failed fetch is retried by the recording-fingerprints job.
   */
  async function fingerprint(recordingSid: string): Promise<void> {
    await fingerprintRecording({ serviceDb: db, telephony: deps.telephony, now: () => new Date() }, recordingSid);
  }
}

export type CallFlowService = ReturnType<typeof createCallFlowService>;
