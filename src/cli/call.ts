import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { findCallAndAgentBySid } from '../calls/calls-repo.js';
import { openDatabase } from '../db/database.js';
import { STOP_RECORDING_PATH, STOP_RECORDING_SECRET_HEADER, stopRecordingSecret } from '../providers/stop-recording-tool.js';
import { cliArgs, configOrExit } from './bootstrap.js';

/**
 * npm run call -- --from +4930123456789 --to +493012345678 --digits 1 [--withdraw]
 *
 * Plays Twilio against a running server (local mode): signs and sends the
 * webhooks Twilio would send for one incoming call, answers each keypad
 * prompt with the next of --digits ("1", "2", "5,1", or "none"), ends the call
 * and prints every TwiML answer. With --withdraw it also plays ElevenLabs once
 * the caller is connected: the caller asks the agent to stop recording, and
 * the agent's stop_recording tool call (with the agent's secret header) is
 * sent before the call ends.
 */
const E164 = /^\+[1-9]\d{6,14}$/;
const USAGE = `usage: npm run call -- --from +4930123456789 --to <agent number> [options]
  --digits 1|2|5,1|none   keys pressed at each consent prompt, in order (none = no key)
  --country DE            the caller's country as Twilio reports it (FromCountry)
  --withdraw              once connected, the caller withdraws consent: sends the agent's
                          stop_recording tool call as ElevenLabs would, and prints the answer
  --duration 42           call length in seconds reported when the call ends
  --server URL            the running server (default http://localhost:PORT)`;
const { values } = cliArgs(USAGE, {
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    digits: { type: 'string', default: '' },
    country: { type: 'string' },
    server: { type: 'string' },
    duration: { type: 'string', default: '42' },
    withdraw: { type: 'boolean', default: false },
  },
});

if (!values.from || !values.to || !E164.test(values.from.replace(/\s/g, '')) || !E164.test(values.to.replace(/\s/g, ''))) {
  console.error(USAGE);
  process.exit(2);
}
const config = configOrExit();
const server = (values.server ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
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

async function send(path: string, params: Record<string, string | undefined>): Promise<string> {
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const signature = twilio.getExpectedTwilioSignature(config.twilio.authToken, `${config.publicBaseUrl}${path}`, clean);
  const res = await fetch(`${server}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(clean),
  });
  const text = await res.text();
  console.log(`\n--> POST ${path} ${JSON.stringify(clean.Digits !== undefined ? { Digits: clean.Digits } : {})}\n<-- ${res.status}\n${text}`);
  if (!res.ok) process.exitCode = 1;
  return text;
}

function nextConsentPath(twiml: string): string | undefined {
  const m = /<Gather[^>]*action="([^"]+)"/.exec(twiml);
  if (!m) return undefined;
  const url = m[1]!.replace(/&amp;/g, '&');
  return url.startsWith(config.publicBaseUrl) ? url.slice(config.publicBaseUrl.length) : new URL(url).pathname + new URL(url).search;
}

/**
 * ElevenLabs' part of a withdrawal: the agent's tool posts the call id and the
 * conversation id with the agent's secret. The ids come from the database (the
 * server keeps the call under this CallSid) and from the connecting TwiML (in
 * local mode the stand-in platform has no conversation, and none is sent).
 */
async function withdraw(connectTwiml: string): Promise<void> {
  const db = await openDatabase(config);
  let call: { id: string; agent_id: string | null } | undefined;
  try {
    [call] = await findCallAndAgentBySid(db.serviceDb, callSid);
  } finally {
    await db.close();
  }
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
  console.log(`\n--> POST ${STOP_RECORDING_PATH} ${body}\n<-- ${res.status}\n${await res.text()}`);
  if (!res.ok) process.exitCode = 1;
}

console.log(`Simulating call ${callSid} from ${base.From} to ${base.To} against ${server}`);
let twiml = await send('/webhooks/twilio/voice', { ...base, CallStatus: 'ringing' });
let path = nextConsentPath(twiml);
let i = 0;
while (path && i < 5) {
  twiml = await send(path, { CallSid: callSid, AccountSid: config.twilio.accountSid, Digits: answers[i] });
  path = nextConsentPath(twiml);
  i += 1;
}
if (values.withdraw) await withdraw(twiml);
await send('/webhooks/twilio/status', { CallSid: callSid, AccountSid: config.twilio.accountSid, CallStatus: 'completed', CallDuration: values.duration });
console.log(`\nDone. The call is in the API: GET ${server}/api/orgs/<org id>/calls`);
