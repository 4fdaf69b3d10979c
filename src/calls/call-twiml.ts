import twilio from 'twilio';
import { buildUnrecordedFirstMessage, checkFirstMessage, consentPrompt, disclaimerFor } from '../agents/disclaimer-catalogue.js';
import { sayLanguage } from '../providers/local-platform.js';
import type { CallRouting } from './calls-repo.js';

/**
 * What the caller hears from us rather than from the agent: the TwiML of the
 * keypad-consent prompt, the polite hang-ups, and the agent's greeting as the
 * recording rules allow it.
 */

const { VoiceResponse } = twilio.twiml;

/** A number we do not serve, or a call we cannot place. */
export const NOT_IN_SERVICE = 'Sorry, this number is not in service. Goodbye.';
/** The number has no agent that can take the call. */
export const NOBODY_AVAILABLE = 'Sorry, nobody can take your call right now. Please try again later. Goodbye.';
/** The agent platform did not take the call, or the call cannot be answered as it stands. */
export const CANNOT_TAKE_CALL = 'Sorry, we cannot take your call right now. Please try again later. Goodbye.';

export function politeHangup(message = NOT_IN_SERVICE): string {
  const r = new VoiceResponse();
  r.say({ language: 'en-GB' }, message);
  r.hangup();
  return r.toString();
}

/**
 * The consent prompt's TwiML for a language and attempt, posting the answer to
 * `${publicBaseUrl}/webhooks/twilio/consent?attempt=n`. It depends only on
 * language and attempt, so each is built once.
 */
export function createConsentTwiml(publicBaseUrl: string): (lang: string, attempt: number) => string {
  const cache = new Map<string, string>();
  return (lang, attempt) => {
    const key = `${lang}:${attempt}`;
    let twiml = cache.get(key);
    if (!twiml) {
      twiml = buildConsentTwiml(`${publicBaseUrl}/webhooks/twilio/consent?attempt=${attempt}`, lang);
      cache.set(key, twiml);
    }
    return twiml;
  };
}

function buildConsentTwiml(action: string, lang: string): string {
  const prompt = consentPrompt(lang);
  const r = new VoiceResponse();
  const gather = r.gather({ input: ['dtmf'], numDigits: 1, timeout: 8, action, method: 'POST', actionOnEmptyResult: true });
  gather.say({ language: sayLanguage(lang) }, prompt.text);
  // No key at all: Twilio falls through to here, and the consent webhook counts it as no input.
  r.redirect({ method: 'POST' }, action);
  return r.toString();
}

/**
 * The sentence the agent opens with: the agent's own first message, told the
 * truth about recording. The route must have a catalogue language.
 */
export function greetingFor(route: CallRouting, recorded: boolean): string {
  const language = route.agent_language!;
  const base = route.agent_first_message ?? '';
  const message = recorded ? base : buildUnrecordedFirstMessage(language, base);
  if (checkFirstMessage(language, message, { recorded }).ok) return message;
  // Never connect with a greeting that breaks the rule: fall back to the catalogue's sentences.
  const d = disclaimerFor(language)!;
  return `${d.ai_disclosure} ${recorded ? d.recording_notice : d.not_recorded_notice}`;
}
