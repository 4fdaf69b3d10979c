import type { IncomingMessage } from 'node:http';
import querystring from 'node:querystring';
import getRawBody from 'raw-body';
import twilio from 'twilio';
import { z } from 'zod';
import { safeEqual } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { AheadRoute, PlainAnswer, PlainRequest } from '../lib/plain-route.js';
import type { Answer, CallFlowService } from './call-flow-service.js';

const CALL_SID = z.string().regex(/^CA[0-9a-fA-F]{32}$/, { message: 'must be a Twilio call SID' });
// A caller id: an E.164 number, or words such as "anonymous" or "client:name"; never control characters.
const PHONE = z.string().max(64).regex(/^[^\p{Cc}]*$/u, { message: 'must not contain control characters' });

export const voiceParams = z.looseObject({
  CallSid: CALL_SID,
  To: z.string().regex(/^\+[1-9]\d{6,14}$/, { message: 'must be an E.164 number' }),
  From: PHONE.optional(),
  FromCountry: z.string().max(8).optional(),
});
export const consentParams = z.looseObject({ CallSid: CALL_SID, Digits: z.string().max(32).optional() });
export const consentQuery = z.object({ attempt: z.coerce.number().int().min(1).max(10) });
export const statusParams = z.looseObject({
  CallSid: CALL_SID,
  CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']),
  CallDuration: z.coerce.number().int().min(0).max(7 * 24 * 3600).optional(),
});
export const recordingParams = z.looseObject({
  CallSid: CALL_SID,
  RecordingSid: z.string().regex(/^RE[0-9a-fA-F]{32}$/, { message: 'must be a Twilio recording SID' }),
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed', 'paused', 'stopped']),
  RecordingDuration: z.coerce.number().int().min(-1).max(7 * 24 * 3600).optional(),
  RecordingChannels: z.coerce.number().int().min(1).max(2).optional(),
});

/**
 * Refuses any request whose X-Twilio-Signature does not match, before anything
 * else happens. The URL Twilio signed is rebuilt from PUBLIC_BASE_URL (a proxy
 * in front of us changes Host, so the Host header is never trusted).
 * The exact URL is tried first (one HMAC, compared in constant time); only a
 * mismatch falls back to validateRequest, which also tries the URL with and
 * without a port and escaped forms (and compares in constant time too).
 */
export function twilioSignatureCheck(authToken: string, publicBaseUrl: string) {
  return (signature: string | string[] | undefined, target: string, params: Record<string, string | string[]>): void => {
    const url = `${publicBaseUrl}${target}`;
    if (typeof signature !== 'string' || !signature || !(safeEqual(twilio.getExpectedTwilioSignature(authToken, url, params), signature) || twilio.validateRequest(authToken, signature, url, params))) {
      throw new AppError(403, 'invalid_signature', 'X-Twilio-Signature is missing or does not match this request.');
    }
  };
}

const XML = 'text/xml; charset=utf-8';

/** A TwiML answer (no ETag: nobody revalidates the answer to a POST), with its work for afterwards. */
function twimlAnswer(answer: Answer): PlainAnswer {
  return { status: 200, contentType: XML, body: answer.twiml, after: answer.after };
}

/** A TwiML answer for a request we cannot use: the caller hears an apology, never an error page. */
function safeTwiml(): PlainAnswer {
  const r = new twilio.twiml.VoiceResponse();
  r.say({ language: 'en-GB' }, 'Sorry, something went wrong with this call. Goodbye.');
  r.hangup();
  return { status: 200, contentType: XML, body: r.toString() };
}

const MAX_PARAMS = 200;
const MAX_BODY = 32 * 1024;
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * Twilio posts flat form fields (no nesting): the body is read with raw-body
 * (size-limited) and split by the platform's URLSearchParams. A repeated
 * field becomes an array, as the signature check expects. Any other content
 * type gives no fields (and so fails the signature check or validation).
 */
async function formBody(req: IncomingMessage): Promise<Record<string, string | string[]>> {
  const params: Record<string, string | string[]> = {};
  if (!FORM.test(req.headers['content-type'] ?? '')) return params;
  let raw: Buffer;
  try {
    raw = await getRawBody(req, { length: req.headers['content-length'], limit: MAX_BODY });
  } catch (err) {
    const status = (err as { status?: number }).status ?? 400;
    if (status === 413) throw new AppError(413, 'payload_too_large', `A webhook body may be at most ${MAX_BODY} bytes.`);
    throw new AppError(400, 'invalid_body', 'The request body could not be read.');
  }
  let count = 0;
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    if (++count > MAX_PARAMS) throw new AppError(413, 'payload_too_large', `A webhook may carry at most ${MAX_PARAMS} fields.`);
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

/**
 * /webhooks/twilio: voice, consent, status and recording callbacks, each
 * signed. They are served ahead of Express (`serveAheadOfExpress`): the
 * busiest routes, with the same security headers, request context, log line,
 * metrics and error answers as every other route.
 */
export function twilioWebhookRoutes(service: CallFlowService, opts: { authToken: string; publicBaseUrl: string }): AheadRoute[] {
  const checkSignature = twilioSignatureCheck(opts.authToken, opts.publicBaseUrl);
  const signed = (path: string, handle: (body: Record<string, string | string[]>, req: PlainRequest) => Promise<PlainAnswer>): AheadRoute => ({
    method: 'POST',
    path: `/webhooks/twilio${path}`,
    async handle(req) {
      const body = await formBody(req.raw);
      checkSignature(req.raw.headers['x-twilio-signature'], req.url, body);
      return handle(body, req);
    },
  });

  return [
    signed('/voice', async (body) => {
      const p = voiceParams.safeParse(body);
      if (!p.success) {
        logger.warn({ issues: p.error.issues.map((i) => i.path.join('.')) }, 'unusable voice webhook');
        return safeTwiml();
      }
      return twimlAnswer(await service.incoming(p.data));
    }),

    signed('/consent', async (body, req) => {
      const p = consentParams.safeParse(body);
      const q = consentQuery.safeParse(querystring.parse(req.query));
      if (!p.success || !q.success) {
        logger.warn('unusable consent webhook');
        return safeTwiml();
      }
      return twimlAnswer(await service.consent(p.data, q.data.attempt));
    }),

    signed('/status', async (body) => {
      const p = statusParams.safeParse(body);
      if (!p.success) throw new AppError(400, 'validation_failed', `Invalid status callback: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`);
      await service.status(p.data);
      return { status: 204 };
    }),

    signed('/recording', async (body) => {
      const p = recordingParams.safeParse(body);
      if (!p.success) throw new AppError(400, 'validation_failed', `Invalid recording callback: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`);
      const after = await service.recording(p.data);
      return { status: 204, after: after ?? undefined };
    }),
  ];
}
