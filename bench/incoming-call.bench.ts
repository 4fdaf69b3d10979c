import { randomBytes, randomInt } from 'node:crypto';
import express from 'express';
import postgres from 'postgres';
import twilio from 'twilio';
import { buildAppDeps } from '../src/container.js';
import { createApp } from '../src/http/app.js';
import { startElevenLabsFake } from '../test/fakes/elevenlabs-fake.js';
import { startTwilioFake } from '../test/fakes/twilio-fake.js';
import { benchCallConfig, benchDatabase, compare, fmt, load, seedCalledOrganisation } from './harness.js';

const FIXED_TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" numDigits="1"><Say language="de-DE">Bitte drücken Sie die 1.</Say></Gather></Response>';

/**
 * The incoming-call webhook (signed, real database, keypad-consent path for a
 * German caller) against a bare Express handler that returns a fixed TwiML
 * string, same load (autocannon, 50 connections), same run.
 * Goals: throughput ratio >= 0.5 and p99 <= 2x the bare p99.
 */
export async function benchIncomingCall(seconds: number, rounds: number): Promise<{ lines: string[]; throughputRatio: number; p99Ratio: number }> {
  const database = await benchDatabase();
  const sql = postgres(database.url, { max: database.embedded ? 1 : 10, onnotice: () => {} });
  const twilioFake = await startTwilioFake();
  const elFake = await startElevenLabsFake();
  try {
    const config = benchCallConfig(database.url, twilioFake, elFake);
    const number = await seedCalledOrganisation(sql, 'Bench');

    const app = createApp(buildAppDeps(config, sql));
    const bare = express();
    bare.post('/webhooks/twilio/voice', (_req, res) => {
      res.type('text/xml').send(FIXED_TWIML);
    });

    const url = `${config.publicBaseUrl}/webhooks/twilio/voice`;
    const signedCall = () => {
      const params = {
        CallSid: `CA${randomBytes(16).toString('hex')}`,
        AccountSid: config.twilio.accountSid,
        From: `+4930${randomInt(10_000_000, 99_999_999)}`,
        To: number,
        FromCountry: 'DE',
        CallStatus: 'ringing',
        Direction: 'inbound',
      };
      return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(config.twilio.authToken, url, params) };
    };
    // Every request is a new call, signed as Twilio would sign it, for both
    // handlers alike (a CallSid seen before would be a Twilio retry, another
    // path). Signing on the fly keeps the heap small: a pool of pre-signed
    // calls made major garbage collections, and so the p99, much worse.
    const opts = {
      method: 'POST' as const,
      path: '/webhooks/twilio/voice',
      connections: 50,
      seconds,
      request: () => {
        const c = signedCall();
        return { body: c.body, headers: { 'x-twilio-signature': c.signature, 'content-type': 'application/x-www-form-urlencoded' } };
      },
    };
    const { baseline, candidate } = await compare(rounds, (s) => load(bare, { ...opts, seconds: s ?? opts.seconds }), (s) => load(app, { ...opts, seconds: s ?? opts.seconds }));
    const throughputRatio = candidate.rps / baseline.rps;
    const p99Ratio = candidate.p99Ms / Math.max(baseline.p99Ms, 1);
    return {
      throughputRatio,
      p99Ratio,
      lines: [
        `incoming-call webhook (signed, consent path) on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'}, 50 connections`,
        `  bare Express, fixed TwiML: ${fmt(baseline)}`,
        `  /webhooks/twilio/voice:    ${fmt(candidate)}`,
        `  throughput ratio ${throughputRatio.toFixed(3)} (goal >= 0.5), p99 ratio ${p99Ratio.toFixed(2)} (goal <= 2)`,
      ],
    };
  } finally {
    await twilioFake.close();
    await elFake.close();
    await sql.end();
    await database.drop();
  }
}
