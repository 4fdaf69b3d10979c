/**
 * A stand-in agent platform for local mode only (`npm start` without ELEVENLABS_API_KEY), so
 * agents can be managed and calls simulated offline. It is never used when an API key is set.
 *
 * It keeps nothing: our database already holds each agent, so an agent here is only an id
 * (`local_<uuid>`). A call is answered with TwiML that speaks the per-call first message in the
 * agent's language, says (in the agent's language where it can, else in English) that no agent is connected, and hangs up.
 */
import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { AgentPlatform, RegisterCallInput } from './agent-platform.js';

/** Catalogue language → Twilio `<Say language>`; European variants, as our callers are in the EU. */
const SAY_LANGUAGES = {
  en: 'en-GB',
  de: 'de-DE',
  fr: 'fr-FR',
  es: 'es-ES',
  it: 'it-IT',
  nl: 'nl-NL',
  pl: 'pl-PL',
  pt: 'pt-PT',
  'pt-br': 'pt-BR',
  sv: 'sv-SE',
  da: 'da-DK',
  fi: 'fi-FI',
  cs: 'cs-CZ',
} as const;

type SayLanguage = (typeof SAY_LANGUAGES)[keyof typeof SAY_LANGUAGES];

const LOCAL_PREFIX = 'local_';

/** What the stand-in says after the greeting, in the agent's language where it has it (else English). */
const NO_AGENT_CONNECTED: Readonly<Record<string, string>> = {
  en: 'This is a local simulation. No voice agent is connected, so the call ends here. Goodbye.',
  de: 'Dies ist eine lokale Simulation. Es ist kein Sprachagent verbunden, daher endet das Gespräch hier. Auf Wiederhören.',
  pl: 'To jest lokalna symulacja. Żaden agent głosowy nie jest połączony, więc rozmowa kończy się tutaj. Do widzenia.',
};

/** The Twilio `<Say>` language for a catalogue language (`de` → `de-DE`); English for others. */
export function sayLanguage(language: string): SayLanguage {
  const table: Readonly<Record<string, SayLanguage>> = SAY_LANGUAGES;
  const tag = language.toLowerCase().replace(/_/g, '-');
  return table[tag] ?? table[tag.split('-')[0] ?? ''] ?? 'en-GB';
}

/**
 * The local-mode AgentPlatform (see the module comment). Agents are ids only; deleting one of
 * ours reports 'deleted', any other id 'not_found'. No conversations exist here.
 */
export function createLocalAgentPlatform(): AgentPlatform {
  return {
    name: 'local',

    async createAgent() {
      // No tools here: the call simulator plays the agent and calls our endpoint itself.
      return { externalId: `${LOCAL_PREFIX}${randomUUID()}`, toolId: null };
    },

    async updateAgent(current) {
      // Nothing is held here: the database row is the agent.
      return { externalId: current.externalId, toolId: null };
    },

    async deleteAgent(externalId: string) {
      return externalId.startsWith(LOCAL_PREFIX) ? 'deleted' : 'not_found';
    },

    async deleteTool() {
      return 'not_found';
    },

    async registerCall(input: RegisterCallInput) {
      const response = new twilio.twiml.VoiceResponse();
      // The first message may be SSML; <Say> would read tags aloud, so they become pauses.
      const greeting = input.firstMessage.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
      response.say({ language: sayLanguage(input.language) }, greeting);
      const base = input.language.toLowerCase().split(/[-_]/)[0] ?? 'en';
      const closing = Object.hasOwn(NO_AGENT_CONNECTED, base) ? base : 'en';
      response.say({ language: sayLanguage(closing) }, NO_AGENT_CONNECTED[closing]!);
      response.hangup();
      return response.toString();
    },

    async deleteConversation() {
      return 'not_found';
    },
  };
}
