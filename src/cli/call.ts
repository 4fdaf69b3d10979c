import { createHmac, randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { findCallAndAgentBySid, findCallSummaryBySid } from '../calls/calls-repo.js';
import { recordingsOfCallSid } from '../calls/recordings-repo.js';
import { openDatabase } from '../db/database.js';
import { STOP_RECORDING_PATH, STOP_RECORDING_SECRET_HEADER, stopRecordingSecret } from '../providers/stop-recording-tool.js';
import { cliArgs, configOrExit } from './bootstrap.js';

/**
 * npm run call -- --from +4930123456789 --to +493012345678 --digits 1 [--withdraw]
 *
 * Plays Twilio and ElevenLabs against a running server (local mode), as they
 * would for one incoming call: signs and sends the voice webhook, answers each
 * keypad prompt with the next of --digits ("1", "2", "5,1", or "none"), and
 * prints every TwiML answer. With --withdraw the caller then asks the agent to
 * stop recording (the agent's stop_recording tool call, with its secret). When
 * the call ends it sends what follows a real call: Twilio's recording callback
 * (completed; the server then fingerprints the audio), Twilio's status callback
 * with the real elapsed seconds, and ElevenLabs' signed post-call transcript;
 * then it prints a short summary read back from the database.
 */
const E164 = /^\+[1-9]\d{6,14}$/;
const USAGE = `usage: npm run call -- --from +4930123456789 --to <agent number> [options]
  Plays Twilio and ElevenLabs for one incoming call against the running server, then
  prints a summary: consent, language, recorded or not, duration, the recording's
  SHA-256 and the transcript's turns.
  --digits 1|2|5,1|none   keys pressed at each consent prompt, in order (none = no key)
  --country DE            the caller's country as Twilio reports it (FromCountry)
  --withdraw              once connected, the caller withdraws consent: sends the agent's
                          stop_recording tool call as ElevenLabs would, and prints the answer
  --duration SECONDS      call length reported when the call ends (default: the real elapsed seconds)
  --quiet                 the summary only, without each webhook and TwiML answer
  --server URL            the running server (default http://127.0.0.1:PORT)
  Demo numbers: +493012345678 (German agent), +48221234567 (Polish), +442071838750 (English)`;
const { values } = cliArgs(USAGE, {
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    digits: { type: 'string', default: '' },
    country: { type: 'string' },
    server: { type: 'string' },
    duration: { type: 'string' },
    withdraw: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

if (!values.from || !values.to || !E164.test(values.from.replace(/\s/g, '')) || !E164.test(values.to.replace(/\s/g, ''))) {
  console.error(`--from and --to: give two numbers in international format (+…). ${USAGE.split('\n')[0]}`);
  process.exit(2);
}
if (values.duration !== undefined && !/^\d{1,6}$/.test(values.duration)) {
  console.error('--duration: a whole number of seconds');
  process.exit(2);
}
const config = configOrExit();
const server = (values.server ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
const answers = values.digits ? values.digits.split(',').map((d) => (d.trim() === 'none' ? undefined : d.trim())) : [];
const callSid = `CA${randomBytes(16).toString('hex')}`;
const base = {
  CallSid: callSid,
  AccountSid: config.twilio.accountSid,
  From: values.from.replace(/\s/g, ''),
  To: values.to.replace(/\s/g, ''),
  Direction: 'inbound',
  ...(values.country ? { FromCountry: values.country.toUpperCase() } : {}),
};
const say = (text: string) => {
  if (!values.quiet) console.log(text);
};

async function send(path: string, params: Record<string, string | undefined>): Promise<string> {
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const signature = twilio.getExpectedTwilioSignature(config.twilio.authToken, `${config.publicBaseUrl}${path}`, clean);
  const res = await fetch(`${server}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(clean),
  });
  const text = await res.text();
  say(`\n--> POST ${path} ${JSON.stringify(clean.Digits !== undefined ? { Digits: clean.Digits } : {})}\n<-- ${res.status}\n${text}`);
  if (!res.ok) {
    if (values.quiet) console.error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
    process.exitCode = 1;
  }
  return text;
}

function nextConsentPath(twiml: string): string | undefined {
  const m = /<Gather[^>]*action="([^"]+)"/.exec(twiml);
  if (!m) return undefined;
  const url = m[1]!.replace(/&amp;/g, '&');
  return url.startsWith(config.publicBaseUrl) ? url.slice(config.publicBaseUrl.length) : new URL(url).pathname + new URL(url).search;
}

const db = await openDatabase(config);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * ElevenLabs' part of a withdrawal: the agent's tool posts the call id and the
 * conversation id with the agent's secret. The ids come from the database (the
 * server keeps the call under this CallSid) and from the connecting TwiML (in
 * local mode the stand-in platform has no conversation, and none is sent).
 */
async function withdraw(connectTwiml: string): Promise<void> {
  const [call] = await findCallAndAgentBySid(db.serviceDb, callSid);
  if (!call?.agent_id) {
    console.error('\n--withdraw: the server has no call with an agent under this CallSid.');
    process.exitCode = 1;
    return;
  }
  const conversationId = /name="conversation_id" value="([^"]+)"/.exec(connectTwiml)?.[1];
  const body = JSON.stringify({ call_id: call.id, ...(conversationId ? { conversation_id: conversationId } : {}) });
  const res = await fetch(`${server}${STOP_RECORDING_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [STOP_RECORDING_SECRET_HEADER]: stopRecordingSecret(config.elevenlabs.webhookSecret, call.agent_id) },
    body,
  });
  say(`\n--> POST ${STOP_RECORDING_PATH} ${body}\n<-- ${res.status}\n${await res.text()}`);
  if (!res.ok) process.exitCode = 1;
}

/** Waits (up to `ms`) until `check` returns something. */
async function waitFor<T>(check: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined || Date.now() > deadline) return found;
    await sleep(100);
  }
}

/** Twilio's recording callbacks once the call ends: each recording the server started completes. */
async function completeRecordings(seconds: number): Promise<void> {
  // The server starts the recording right after its answer: give it a moment to appear.
  const started = await waitFor(async () => {
    const rows = await recordingsOfCallSid(db.serviceDb, callSid);
    return rows.length > 0 ? rows : undefined;
  }, 3000);
  for (const r of started ?? []) {
    if (r.status === 'completed' || r.deleted_at) continue;
    await send('/webhooks/twilio/recording', {
      CallSid: callSid,
      AccountSid: config.twilio.accountSid,
      RecordingSid: r.twilio_recording_sid,
      RecordingStatus: 'completed',
      RecordingDuration: String(seconds),
      RecordingChannels: '2',
    });
  }
}

/** A short made-up conversation in the agent's language: what ElevenLabs would transcribe. */
function transcriptFor(language: string, greeting: string): { role: string; message: string; time_in_call_secs: number }[] {
  const lines: Record<string, [string, string]> = {
    de: ['Ich möchte einen Termin vereinbaren.', 'Gern. Welcher Tag passt Ihnen?'],
    pl: ['Chciałbym umówić wizytę.', 'Oczywiście. Jaki dzień Panu odpowiada?'],
    en: ['I would like to book an appointment.', 'Of course. Which day suits you?'],
  };
  const [caller, agent] = lines[language] ?? lines.en!;
  return [
    { role: 'agent', message: greeting, time_in_call_secs: 0 },
    { role: 'user', message: caller, time_in_call_secs: 4 },
    { role: 'agent', message: agent, time_in_call_secs: 7 },
  ];
}

/** ElevenLabs' post-call webhook, signed as ElevenLabs signs it (HMAC-SHA256 of "t.body"). */
async function sendPostCall(greeting: string): Promise<{ status: string; turns: number } | undefined> {
  const [call] = await findCallSummaryBySid(db.serviceDb, callSid);
  if (!call?.elevenlabs_agent_id) return undefined;
  const transcript = transcriptFor(call.agent_language ?? 'en', greeting);
  const body = JSON.stringify({
    type: 'post_call_transcription',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: {
      agent_id: call.elevenlabs_agent_id,
      conversation_id: `conv_sim_${randomBytes(12).toString('hex')}`,
      status: 'done',
      transcript,
      metadata: { phone_call: { call_sid: callSid } },
      conversation_initiation_client_data: { dynamic_variables: { call_id: call.id } },
    },
  });
  const t = Math.floor(Date.now() / 1000);
  const signature = `t=${t},v0=${createHmac('sha256', config.elevenlabs.webhookSecret).update(`${t}.${body}`).digest('hex')}`;
  const res = await fetch(`${server}/webhooks/elevenlabs/post-call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature },
    body,
  });
  const answer = await res.text();
  say(`\n--> POST /webhooks/elevenlabs/post-call (${transcript.length} transcript turns)\n<-- ${res.status}\n${answer}`);
  if (!res.ok) {
    if (values.quiet) console.error(`POST /webhooks/elevenlabs/post-call: ${res.status} ${answer.slice(0, 300)}`);
    process.exitCode = 1;
    return undefined;
  }
  return { status: (JSON.parse(answer) as { status: string }).status, turns: transcript.length };
}

const CONSENT_WORDS: Record<string, string> = {
  given: 'given (key 1)',
  refused: 'refused',
  withdrawn: 'withdrawn during the call',
  not_required: 'not asked (not required for this caller)',
  pending: 'no answer',
  do_not_record: 'not asked, not recorded (the number is on the do-not-record list)',
};

try {
  const startedAt = Date.now();
  say(`Simulating call ${callSid} from ${base.From} to ${base.To} against ${server}`);
  let twiml = await send('/webhooks/twilio/voice', { ...base, CallStatus: 'ringing' });
  let path = nextConsentPath(twiml);
  let i = 0;
  while (path && i < 5) {
    twiml = await send(path, { CallSid: callSid, AccountSid: config.twilio.accountSid, Digits: answers[i] });
    path = nextConsentPath(twiml);
    i += 1;
  }
  const greeting = [...twiml.matchAll(/<Say[^>]*>([^<]*)<\/Say>/g)][0]?.[1] ?? '';
  if (values.withdraw) await withdraw(twiml);

  // The call ends: Twilio reports the recording and the call; then ElevenLabs sends the transcript.
  const seconds = values.duration !== undefined ? Number(values.duration) : Math.max(1, Math.round((Date.now() - startedAt) / 1000));
  await completeRecordings(seconds);
  await send('/webhooks/twilio/status', { CallSid: callSid, AccountSid: config.twilio.accountSid, CallStatus: 'completed', CallDuration: String(seconds) });
  const postCall = await sendPostCall(greeting.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&'));

  // The server fingerprints a completed recording just after answering Twilio.
  const recordings = await waitFor(async () => {
    const rows = await recordingsOfCallSid(db.serviceDb, callSid);
    return rows.every((r) => r.sha256 || r.deleted_at || r.status !== 'completed') ? rows : undefined;
  }, 5000) ?? (await recordingsOfCallSid(db.serviceDb, callSid));
  const [call] = await findCallSummaryBySid(db.serviceDb, callSid);
  if (!call) {
    console.error('The server has no call under this CallSid.');
    process.exitCode = 1;
  } else {
    const kept = recordings.filter((r) => !r.deleted_at);
    console.log(
      [
        '',
        `Call ${call.id} (${callSid})`,
        `  consent:     ${CONSENT_WORDS[call.consent_state] ?? call.consent_state}`,
        `  language:    ${call.consent_language ?? call.agent_language ?? 'unknown'}${call.caller_country ? ` (caller from ${call.caller_country})` : ''}`,
        `  recorded:    ${kept.length > 0 ? 'yes' : 'no'}`,
        `  duration:    ${call.duration_seconds ?? '?'} s`,
        ...(kept.length > 0 ? kept.map((r) => `  recording:   ${r.twilio_recording_sid} sha256 ${r.sha256 ?? 'not yet computed'}`) : []),
        `  transcript:  ${postCall ? (postCall.status === 'stored' ? `${postCall.turns} turns stored` : `discarded (${postCall.status})`) : 'none'}`,
        `  In the API:  GET ${server}/api/orgs/${call.org_id}/calls/${call.id}`,
      ].join('\n'),
    );
  }
} finally {
  await db.close();
}
