import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { configOrExit } from './bootstrap.js';

/**
 * npm run call -- --from +4930123456789 --to +493012345678 --digits 1
 *
 * Plays Twilio against a running server (local mode): signs and sends the
 * webhooks Twilio would send for one incoming call, answers each keypad
 * prompt with the next of --digits ("1", "2", "5,1", or "none"), ends the call
 * and prints every TwiML answer.
 */
const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    digits: { type: 'string', default: '' },
    country: { type: 'string' },
    server: { type: 'string' },
    duration: { type: 'string', default: '42' },
  },
});

const E164 = /^\+[1-9]\d{6,14}$/;
if (!values.from || !values.to || !E164.test(values.from.replace(/\s/g, '')) || !E164.test(values.to.replace(/\s/g, ''))) {
  console.error('usage: npm run call -- --from +4930123456789 --to <agent number> [--digits 1|2|5,1|none] [--country DE] [--server http://localhost:3000]');
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

console.log(`Simulating call ${callSid} from ${base.From} to ${base.To} against ${server}`);
let twiml = await send('/webhooks/twilio/voice', { ...base, CallStatus: 'ringing' });
let path = nextConsentPath(twiml);
let i = 0;
while (path && i < 5) {
  twiml = await send(path, { CallSid: callSid, AccountSid: config.twilio.accountSid, Digits: answers[i] });
  path = nextConsentPath(twiml);
  i += 1;
}
await send('/webhooks/twilio/status', { CallSid: callSid, AccountSid: config.twilio.accountSid, CallStatus: 'completed', CallDuration: values.duration });
console.log(`\nDone. The call is in the API: GET ${server}/api/orgs/<org id>/calls`);
