import { describe, expect, it } from 'vitest';
import {
  consentOutcome,
  isSettledConsentAnswer,
  isSettledIncomingCall,
  MAX_CONSENT_PROMPTS,
  nextConsentStep,
  pendingPromptAttempt,
  pressedDigit,
  TERMINAL_STATUSES,
  withdrawalStep,
} from '../src/calls/consent-transitions.js';

/**
 * The keypad-consent state machine without a database or Twilio: which key
 * means what, when the caller is asked again, and which webhooks only replay
 * the answer a call already has.
 */
describe('the key the caller pressed', () => {
  it('keeps one keypad character as it is', () => {
    for (const key of ['0', '1', '2', '9', '*', '#']) expect(pressedDigit(key)).toBe(key);
  });

  it('keeps only the first character of anything longer or stranger', () => {
    expect(pressedDigit('12')).toBe('1');
    expect(pressedDigit('21#')).toBe('2');
    expect(pressedDigit('x')).toBe('x');
    expect(pressedDigit('abc')).toBe('a');
  });

  it('is null when no key was pressed', () => {
    expect(pressedDigit(undefined)).toBeNull();
    expect(pressedDigit('')).toBeNull();
  });
});

describe('what a key means', () => {
  it('1 gives consent and 2 refuses it', () => {
    expect(consentOutcome('1')).toBe('given');
    expect(consentOutcome('2')).toBe('refused');
  });

  it('any other key is invalid, no key is no input', () => {
    for (const key of ['0', '3', '9', '*', '#', 'x']) expect(consentOutcome(key)).toBe('invalid');
    expect(consentOutcome(null)).toBe('no_input');
  });

  it('a longer answer counts by its first key', () => {
    expect(consentOutcome(pressedDigit('12'))).toBe('given');
    expect(consentOutcome(pressedDigit('21'))).toBe('refused');
  });
});

describe('after an answer to the prompt', () => {
  it('the caller is prompted at most twice', () => {
    expect(MAX_CONSENT_PROMPTS).toBe(2);
  });

  it('a 1 settles the call as given and recorded, at any attempt', () => {
    for (let attempt = 1; attempt <= MAX_CONSENT_PROMPTS; attempt += 1) {
      expect(nextConsentStep('given', attempt)).toEqual({ kind: 'settle', state: 'given', recorded: true });
    }
  });

  it('a 2 settles the call as refused and unrecorded, even on the first prompt', () => {
    expect(nextConsentStep('refused', 1)).toEqual({ kind: 'settle', state: 'refused', recorded: false });
    expect(nextConsentStep('refused', 2)).toEqual({ kind: 'settle', state: 'refused', recorded: false });
  });

  it('silence or a wrong key on the first prompt asks again, with the next attempt number', () => {
    expect(nextConsentStep('no_input', 1)).toEqual({ kind: 'ask_again', attempt: 2 });
    expect(nextConsentStep('invalid', 1)).toEqual({ kind: 'ask_again', attempt: 2 });
  });

  it('silence or a wrong key on the last prompt counts as a refusal, never as consent', () => {
    expect(nextConsentStep('no_input', MAX_CONSENT_PROMPTS)).toEqual({ kind: 'settle', state: 'refused', recorded: false });
    expect(nextConsentStep('invalid', MAX_CONSENT_PROMPTS)).toEqual({ kind: 'settle', state: 'refused', recorded: false });
    // An attempt number past the last (the route accepts up to 10) is no new chance either.
    expect(nextConsentStep('no_input', 10)).toEqual({ kind: 'settle', state: 'refused', recorded: false });
  });
});

describe('consent webhooks that change nothing', () => {
  const pending = { answer_twiml: null, consent_state: 'pending' as const, consent_attempts: 0 };

  it('the first answer to a pending call counts', () => {
    expect(isSettledConsentAnswer(pending, 1)).toBe(false);
  });

  it('the next prompt of a call asked again counts', () => {
    expect(isSettledConsentAnswer({ ...pending, consent_attempts: 1 }, 2)).toBe(false);
  });

  it('an answer to a prompt already counted (a redelivery) only replays', () => {
    expect(isSettledConsentAnswer({ ...pending, consent_attempts: 1 }, 1)).toBe(true);
    expect(isSettledConsentAnswer({ ...pending, consent_attempts: 2 }, 1)).toBe(true);
  });

  it('a call already answered or settled only replays', () => {
    expect(isSettledConsentAnswer({ ...pending, answer_twiml: '<Response/>' }, 1)).toBe(true);
    for (const state of ['not_required', 'given', 'refused', 'withdrawn'] as const) {
      expect(isSettledConsentAnswer({ ...pending, consent_state: state }, 1)).toBe(true);
    }
  });
});

describe('incoming-call webhooks for a call we already hold', () => {
  it('connect a call that needs no prompt or has consent and no answer yet', () => {
    expect(isSettledIncomingCall({ answer_twiml: null, consent_state: 'not_required' })).toBe(false);
    expect(isSettledIncomingCall({ answer_twiml: null, consent_state: 'given' })).toBe(false);
  });

  it('only replay once answered, while the prompt waits, or after a no', () => {
    expect(isSettledIncomingCall({ answer_twiml: '<Response/>', consent_state: 'not_required' })).toBe(true);
    expect(isSettledIncomingCall({ answer_twiml: '<Response/>', consent_state: 'given' })).toBe(true);
    for (const state of ['pending', 'refused', 'withdrawn'] as const) {
      expect(isSettledIncomingCall({ answer_twiml: null, consent_state: state })).toBe(true);
    }
  });
});

describe('the prompt a waiting call hears again', () => {
  it('is the next one, and never one past the last', () => {
    expect(pendingPromptAttempt(0)).toBe(1);
    expect(pendingPromptAttempt(1)).toBe(2);
    expect(pendingPromptAttempt(2)).toBe(MAX_CONSENT_PROMPTS);
    expect(pendingPromptAttempt(7)).toBe(MAX_CONSENT_PROMPTS);
  });
});

describe('a withdrawal of consent mid-call', () => {
  const live = { ended_at: null, status: 'in-progress', consent_state: 'given' };

  it('withdraws from a live call that is recorded or needed no prompt', () => {
    expect(withdrawalStep(live)).toBe('withdraw');
    expect(withdrawalStep({ ...live, consent_state: 'not_required' })).toBe('withdraw');
    expect(withdrawalStep({ ...live, status: 'ringing' })).toBe('withdraw');
  });

  it('has nothing to withdraw once withdrawn or refused at the keypad', () => {
    expect(withdrawalStep({ ...live, consent_state: 'withdrawn' })).toBe('nothing_to_withdraw');
    expect(withdrawalStep({ ...live, consent_state: 'refused' })).toBe('nothing_to_withdraw');
  });

  it('is refused once the call is over, by status or by end time, whatever the consent', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['busy', 'canceled', 'completed', 'failed', 'no-answer']);
    for (const status of TERMINAL_STATUSES) expect(withdrawalStep({ ...live, status })).toBe('call_ended');
    expect(withdrawalStep({ ...live, ended_at: new Date() })).toBe('call_ended');
    expect(withdrawalStep({ ...live, ended_at: new Date(), consent_state: 'withdrawn' })).toBe('call_ended');
  });
});
