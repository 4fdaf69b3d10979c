import type { RequestHandler, Response, Router } from 'express';
import getRawBody from 'raw-body';
import twilio from 'twilio';
import { z } from 'zod';
import { safeEqual } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
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
export function verifyTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
    const signature = req.get('x-twilio-signature');
    const params = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string>;
    const url = `${publicBaseUrl}${req.originalUrl}`;
    if (!signature || !(safeEqual(twilio.getExpectedTwilioSignature(authToken, url, params), signature) || twilio.validateRequest(authToken, signature, url, params))) {
      throw new AppError(403, 'invalid_signature', 'X-Twilio-Signature is missing or does not match this request.');
    }
    next();
  };
}

/**
 * Writes a TwiML answer straight to the response: the headers Express's
 * res.type().send() would write, but without the ETag (a hash of every
 * answer; nobody revalidates the answer to a POST) and its freshness check.
 */
function sendXml(res: Response, twiml: string): void {
  res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(twiml) });
  res.end(twiml);
}

function sendTwiml(res: Response, answer: Answer): void {
  sendXml(res, answer.twiml);
  if (answer.after) {
    const after = answer.after;
    res.on('finish', () => {
      after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'post-answer work failed'));
    });
  }
}

/** A TwiML answer for a request we cannot use: the caller hears an apology, never an error page. */
function safeTwiml(res: Response): void {
  const r = new twilio.twiml.VoiceResponse();
  r.say({ language: 'en-GB' }, 'Sorry, something went wrong with this call. Goodbye.');
  r.hangup();
  sendXml(res, r.toString());
}

const MAX_PARAMS = 200;
const MAX_BODY = 32 * 1024;
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * Twilio posts flat form fields (no nesting): the body is read with raw-body
 * (size-limited) and split by the platform's URLSearchParams, which costs a
 * fraction of body-parser with qs on this, the busiest route. A repeated
 * field becomes an array, as the signature check expects.
 */
const formBody: RequestHandler = async (req, _res, next) => {
  const params: Record<string, string | string[]> = {};
  if (FORM.test(req.get('content-type') ?? '')) {
    let raw: Buffer;
    try {
      raw = await getRawBody(req, { length: req.get('content-length'), limit: MAX_BODY });
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
  }
  req.body = params;
  next();
};

/**
 * /webhooks/twilio: voice, consent, status and recording callbacks (all signed),
 * each one route of `app`, run after `before` (the app's security headers and
 * request context). The routes carry their parsers themselves and are meant to
 * be mounted ahead of the app's own middleware and routers: no nested router,
 * the cheapest dispatch for the busiest routes.
 */
export function twilioWebhookRoutes(
  app: Pick<Router, 'post'>,
  service: CallFlowService,
  opts: { authToken: string; publicBaseUrl: string; before: RequestHandler[] },
): void {
  const signed = [...opts.before, formBody, verifyTwilioSignature(opts.authToken, opts.publicBaseUrl)];
  const router = {
    post: (path: string, handler: RequestHandler) => app.post(`/webhooks/twilio${path}`, ...signed, handler),
  };

  router.post('/voice', async (req, res) => {
    const p = voiceParams.safeParse(req.body);
    if (!p.success) {
      logger.warn({ issues: p.error.issues.map((i) => i.path.join('.')) }, 'unusable voice webhook');
      return safeTwiml(res);
    }
    sendTwiml(res, await service.incoming(p.data));
  });

  router.post('/consent', async (req, res) => {
    const p = consentParams.safeParse(req.body);
    const q = consentQuery.safeParse(req.query);
    if (!p.success || !q.success) {
      logger.warn('unusable consent webhook');
      return safeTwiml(res);
    }
    sendTwiml(res, await service.consent(p.data, q.data.attempt));
  });

  router.post('/status', async (req, res) => {
    const p = statusParams.safeParse(req.body);
    if (!p.success) throw new AppError(400, 'validation_failed', `Invalid status callback: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`);
    await service.status(p.data);
    res.status(204).end();
  });

  router.post('/recording', async (req, res) => {
    const p = recordingParams.safeParse(req.body);
    if (!p.success) throw new AppError(400, 'validation_failed', `Invalid recording callback: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`);
    const after = await service.recording(p.data);
    res.status(204).end();
    if (after) after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'recording follow-up failed'));
  });
}
