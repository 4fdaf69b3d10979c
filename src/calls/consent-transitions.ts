import type { CallRow } from './calls-repo.js';

/**
 * The keypad-consent state machine of a call, as pure decisions: what a key
 * (or silence) means, whether the caller is asked again, which state the call
 * ends up in, and when a webhook only gets the answer it already had. The call
 * flow and the withdrawal service act on these decisions; nothing here reads
 * or writes the database.
 */

/** Consent prompts are repeated once; a second silence or wrong key counts as no consent. */
export const MAX_CONSENT_PROMPTS = 2;

/** Twilio's final call statuses: a call in one of them is over (and can no longer be withdrawn from). */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export type ConsentOutcome = 'given' | 'refused' | 'invalid' | 'no_input';

/**
 * The key the caller pressed, as the proof of consent keeps it: one keypad
 * character, or the first character of whatever else Twilio sent, or null for
 * no key at all.
 */
export function pressedDigit(digits: string | undefined): string | null {
  return digits && /^[0-9*#]$/.test(digits) ? digits : digits ? digits.slice(0, 1) : null;
}

/** 1 gives consent, 2 refuses it; any other key is invalid, none is no input. */
export function consentOutcome(digit: string | null): ConsentOutcome {
  return digit === '1' ? 'given' : digit === '2' ? 'refused' : digit ? 'invalid' : 'no_input';
}

/** What follows an answer to the prompt: ask again, or settle the call's consent (and connect it). */
export type ConsentStep =
  | { kind: 'ask_again'; attempt: number }
  | { kind: 'settle'; state: 'given' | 'refused'; recorded: boolean };

/**
 * After the answer to prompt number `attempt`: silence or a wrong key is asked
 * again until MAX_CONSENT_PROMPTS prompts were made, then counts as a refusal.
 * Only a 1 records the call.
 */
export function nextConsentStep(outcome: ConsentOutcome, attempt: number): ConsentStep {
  if ((outcome === 'no_input' || outcome === 'invalid') && attempt < MAX_CONSENT_PROMPTS) {
    return { kind: 'ask_again', attempt: attempt + 1 };
  }
  const given = outcome === 'given';
  return { kind: 'settle', state: given ? 'given' : 'refused', recorded: given };
}

/**
 * A consent webhook that changes nothing: the call was already answered or
 * settled, or this prompt's answer was already counted (Twilio delivered it
 * again). Such a webhook gets the answer the call already has.
 */
export function isSettledConsentAnswer(call: Pick<CallRow, 'answer_twiml' | 'consent_state' | 'consent_attempts'>, attempt: number): boolean {
  return !!call.answer_twiml || call.consent_state !== 'pending' || attempt <= call.consent_attempts;
}

/**
 * An incoming-call webhook for a call we already hold that must not connect it
 * (again): it was answered, it waits for its consent answer, or the caller
 * said no. Such a retry gets the answer the call already has.
 */
export function isSettledIncomingCall(call: Pick<CallRow, 'answer_twiml' | 'consent_state'>): boolean {
  return !!call.answer_twiml || call.consent_state === 'pending' || call.consent_state === 'refused' || call.consent_state === 'withdrawn';
}

/**
 * Whether a call connected at intake is recorded: yes where no prompt applies,
 * never for a caller on the do-not-record list (Art. 21), who is not asked
 * either and hears that the call is not recorded.
 */
export function recordedAtIntake(call: Pick<CallRow, 'consent_state'>): boolean {
  return call.consent_state !== 'do_not_record';
}

/** The prompt a call still waiting for its consent answer hears again: the next one, never past the last. */
export function pendingPromptAttempt(consentAttempts: number): number {
  return Math.min(consentAttempts + 1, MAX_CONSENT_PROMPTS);
}

/**
 * A stop_recording tool call (withdrawal of consent, Art. 7(3)): refused once
 * the call is over; a call already withdrawn from (a retried tool call) or
 * refused at the keypad (nothing was ever recorded) only gets the answer
 * again; any other call is withdrawn from now.
 */
export type WithdrawalStep = 'call_ended' | 'nothing_to_withdraw' | 'withdraw';

export function withdrawalStep(call: { ended_at: Date | null; status: string; consent_state: string }): WithdrawalStep {
  if (call.ended_at || TERMINAL_STATUSES.has(call.status)) return 'call_ended';
  if (call.consent_state === 'withdrawn' || call.consent_state === 'refused' || call.consent_state === 'do_not_record') return 'nothing_to_withdraw';
  return 'withdraw';
}
