import { performance } from 'node:perf_hooks';
import express, { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { parse } from '../lib/validate.js';
import { AppError, ValidationError } from '../lib/errors.js';
import { InvalidPhoneError, parsePhone } from '../lib/phone.js';
import { logger } from '../lib/logger.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { publicLanguageOf } from '../dashboard/messages.js';
import type { Lang } from './forget-me-messages.js';
import {
  accessPage,
  codePage,
  confirmedPage,
  confirmPage,
  doNotRecordPage,
  formPage,
  linkSentPage,
  problemPage,
  recordingAllowedPage,
  type FormField,
  type FormState,
  type PageContext,
} from './forget-me-pages.js';
import { RateLimitedError, REQUEST_TYPES, type Confirmation, type ForgetMeService } from './forget-me-service.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const email = z.string().trim().max(254).email({ message: 'must be an e-mail address' });
// Read after the body's shape is checked (parsePhone: 400 invalid_phone); there is no
// organisation here, so only international numbers (+49 …, 0049 …) can be read.
const phone = z.string().trim().max(64);
const lang = z.enum(['en', 'de', 'pl']).optional();
const requestType = z.enum(REQUEST_TYPES, { message: `must be one of ${REQUEST_TYPES.join(', ')}` });

export const requestBody = z
  .strictObject({
    email: z.preprocess(blank, email.optional()),
    phone: z.preprocess(blank, phone.optional()),
    contact_email: z.preprocess(blank, email.optional()),
    request_type: z.preprocess(blank, requestType.default('erasure')),
    lang,
  })
  .superRefine((b, ctx) => {
    if (Boolean(b.email) === Boolean(b.phone)) ctx.addIssue({ code: 'custom', path: [], message: 'give either email or phone' });
    else if (b.email && b.contact_email) ctx.addIssue({ code: 'custom', path: ['contact_email'], message: 'only with phone' });
    else if (b.contact_email && b.request_type !== 'erasure') ctx.addIssue({ code: 'custom', path: ['contact_email'], message: 'only with an erasure request' });
  });

export const verifyBody = z.strictObject({
  request_id: z.string().uuid({ message: 'must be the request id from the previous step' }),
  code: z
    .string()
    .transform((c) => c.replace(/\s+/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, { message: 'must be the 6 digits from the SMS' })),
  // Sent back by the code page (only its button's words depend on it); the request id decides.
  request_type: requestType.optional(),
  lang,
});

const token = z.string().min(1).max(2048);
export const confirmQuery = z.object({ token, lang });
export const confirmBody = z.strictObject({ token, lang });
const linkInvalid = () => new AppError(400, 'link_invalid', 'This confirmation link is not valid: please use the link exactly as it was e-mailed.');

/** The page's language: ?lang= (or the form's hidden field), else Accept-Language, else English (as every public page). */
const pageLang = (req: Request): Lang => publicLanguageOf(req);

/** A browser (form post, link) gets pages; an API client (JSON body or Accept: application/json) gets JSON. */
function wantsHtml(req: Request): boolean {
  return !req.is('application/json') && req.accepts(['html', 'json']) === 'html';
}

/** Waits until `minMs` have passed since `startedAt`, so that answers take the same time. */
async function padSince(startedAt: number, minMs: number): Promise<void> {
  const left = minMs - (performance.now() - startedAt);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).type('html').send(html);
}

/** A refused request as a page; anything not expected is logged (without its details) and shown as a 500. */
function sendProblemPage(res: Response, page: PageContext, err: unknown): void {
  if (err instanceof AppError) {
    sendPage(res, err.status, problemPage(page, err.code));
    return;
  }
  const e = err as Error & { code?: string };
  logger.error({ err_name: e?.name, err_code: e?.code, stack: e?.stack?.split('\n').slice(0, 6).join('\n') }, 'forget-me: unhandled error');
  sendPage(res, 500, problemPage(page, 'internal'));
}

/**
 * Whether a confirmation may have come from our own page. The signed token is
 * the credential (there is no session, so no CSRF cookie); on top of it, a
 * browser's Origin must be PUBLIC_BASE_URL's. Without Origin (not a browser)
 * the token alone decides. Origin `null` (an opaque origin: a sandboxed frame,
 * a privacy setting) is accepted only when Fetch Metadata says the post came
 * from our own origin.
 */
function fromOurPage(req: Request, publicOrigin: string): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return true;
  if (origin === 'null') {
    const site = req.get('sec-fetch-site');
    return site === 'same-origin';
  }
  return origin === publicOrigin;
}

/** The JSON answer to a verified request (the SMS code or the link's button). */
function confirmationJson(c: Confirmation) {
  if (c.type === 'erasure') {
    const r = c.request;
    return { status: 'confirmed', request_type: 'erasure', request: { id: r.id, status: r.status, received_at: r.received_at, due_at: r.due_at } };
  }
  const request = { id: c.id, status: 'completed', received_at: c.received_at, confirmed_at: c.confirmed_at };
  if (c.type === 'do_not_record' || c.type === 'recording_allowed') return { status: 'confirmed', request_type: c.type, request };
  return { status: 'confirmed', request_type: 'access', request, download_urls: c.download_urls, expires_at: c.expires_at };
}

/** The page answering a verified request. */
function confirmationPage(page: PageContext, c: Confirmation): string {
  if (c.type === 'erasure') return confirmedPage(page, c.request);
  if (c.type === 'recording_allowed') return recordingAllowedPage(page, c);
  return c.type === 'access' ? accessPage(page, c) : doNotRecordPage(page, c);
}

/** The request type a form posted, for putting its values back into the right form. */
function postedType(raw: Record<string, unknown>): FormState['requestType'] {
  const parsed = requestType.safeParse(raw.request_type);
  return parsed.success ? parsed.data : 'erasure';
}

/** Which field a refused form submission is about. */
function formError(err: ValidationError | InvalidPhoneError): NonNullable<FormState['error']> {
  if (err instanceof InvalidPhoneError) return { field: 'phone', kind: 'phone' };
  const path = (err.details as { path: string }[] | undefined)?.[0]?.path;
  if (path === 'email' || path === 'phone' || path === 'contact_email') return { field: path, kind: path };
  return { field: 'form', kind: 'one' };
}

/**
 * /forget-me: the public erasure page. Its own body parsers (form and JSON,
 * 10 kB), a per-address rate limit, answers that never vary with whether we
 * hold data (POST /forget-me is padded to a fixed minimum time), and pages in
 * English, German and Polish.
 */
export function forgetMeRoutes(service: ForgetMeService): Router {
  const router = Router();
  const { settings } = service;
  const ctx = (lang: Lang): PageContext => ({ lang, operator: service.operator });
  const parsers = [express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 }), express.json({ limit: '10kb', strict: true })];

  const limiter = (limit: number) =>
    rateLimit({
      windowMs: settings.perIpWindowSeconds * 1000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res, next) => {
        if (wantsHtml(req)) sendPage(res, 429, problemPage(ctx(pageLang(req)), 'rate_limited'));
        else next(new RateLimitedError('Too many requests from this address: try again later.'));
      },
    });

  // Our own stylesheet only: no inline script or style on these pages.
  router.use(pageSecurityPolicy());
  router.use((_req, res, next) => {
    // Pages with tokens and request ids are never cached or stored, and never sent to
    // another site as a Referer (same-origin, not no-referrer: under no-referrer a
    // browser hides our own Origin on the confirmation post).
    res.set('Cache-Control', 'no-store');
    res.set('Referrer-Policy', 'same-origin');
    next();
  });

  router.get('/', (req, res) => {
    sendPage(res, 200, formPage(ctx(pageLang(req)), {}, { phone: service.smsVerification.on }));
  });

  router.post(
    '/',
    (_req, res, next) => {
      res.locals.startedAt = performance.now();
      next();
    },
    ...parsers,
    limiter(settings.perIpLimit),
    async (req, res) => {
      const startedAt = res.locals.startedAt as number;
      const l = pageLang(req);
      const html = wantsHtml(req);
      const raw = (req.body ?? {}) as Record<string, unknown>;
      try {
        const body = parse(requestBody, raw);
        const receipt = await service.request({
          requestType: body.request_type,
          subject: body.email ? { type: 'email', value: body.email } : { type: 'phone', value: parsePhone(body.phone!) },
          contactEmail: body.contact_email ?? null,
          lang: l,
        });
        await padSince(startedAt, settings.minResponseMs);
        if (!html) {
          res.status(202).json(receipt);
        } else if (receipt.channel === 'email') {
          sendPage(res, 202, linkSentPage(ctx(l)));
        } else {
          sendPage(
            res,
            202,
            codePage(ctx(l), { requestId: receipt.request_id, minutes: receipt.expires_in_seconds / 60, tries: receipt.attempts_allowed, requestType: body.request_type }),
          );
        }
      } catch (err) {
        await padSince(startedAt, settings.minResponseMs);
        if (!html) throw err;
        const phoneOnly = err instanceof AppError && err.code === 'phone_required';
        if (err instanceof ValidationError || err instanceof InvalidPhoneError || phoneOnly) {
          const values: Partial<Record<FormField, string>> = {};
          for (const f of ['email', 'phone', 'contact_email'] as const) if (typeof raw[f] === 'string') values[f] = (raw[f] as string).slice(0, 254);
          const error: FormState['error'] = phoneOnly ? { field: 'phone', kind: 'phone_only' } : formError(err);
          sendPage(res, phoneOnly ? 422 : 400, formPage(ctx(l), { values, error, requestType: postedType(raw) }, { phone: service.smsVerification.on }));
          return;
        }
        sendProblemPage(res, ctx(l), err);
      }
    },
  );

  // Bodies are parsed (10 kB at most) before the limiter, so its 429 page is in the form's language.
  router.post('/verify', ...parsers, limiter(settings.perIpVerifyLimit), async (req, res) => {
    const l = pageLang(req);
    const html = wantsHtml(req);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const requestId = typeof raw.request_id === 'string' && z.string().uuid().safeParse(raw.request_id).success ? raw.request_id : undefined;
    const codeScreen = (error: 'code_format' | { triesLeft: number }) =>
      codePage(ctx(l), { requestId: requestId!, minutes: settings.codeTtlSeconds / 60, tries: settings.maxCodeAttempts, error, requestType: postedType(raw) });
    try {
      const body = parse(verifyBody, raw);
      const confirmed = await service.verifyCode(body.request_id, body.code);
      if (html) sendPage(res, 200, confirmationPage(ctx(l), confirmed));
      else res.json(confirmationJson(confirmed));
    } catch (err) {
      if (!html) throw err;
      if (err instanceof ValidationError && requestId) sendPage(res, 400, codeScreen('code_format'));
      else if (err instanceof AppError && err.code === 'code_incorrect' && requestId) {
        sendPage(res, 400, codeScreen({ triesLeft: (err.details as { tries_left: number }).tries_left }));
      } else sendProblemPage(res, ctx(l), err);
    }
  });

  // Opening the link (GET or HEAD, as mail scanners do) only checks it and shows the button.
  router.get('/confirm', async (req, res) => {
    const l = pageLang(req);
    const html = wantsHtml(req);
    try {
      const q = confirmQuery.safeParse(req.query);
      if (!q.success) throw linkInvalid();
      const link = await service.inspectLink(q.data.token);
      if (html) sendPage(res, 200, confirmPage(ctx(l), q.data.token, link.requestType));
      else {
        res.json({
          status: 'awaiting_confirmation',
          request_type: link.requestType,
          expires_at: link.expiresAt,
          confirm: { method: 'POST', path: '/forget-me/confirm', fields: ['token'] },
        });
      }
    } catch (err) {
      if (!html) throw err;
      sendProblemPage(res, ctx(l), err);
    }
  });

  // The page's button: uses the link up and starts the erasure.
  router.post('/confirm', ...parsers, limiter(settings.perIpVerifyLimit), async (req, res) => {
    const l = pageLang(req);
    const html = wantsHtml(req);
    try {
      if (!fromOurPage(req, service.publicOrigin)) {
        throw new AppError(403, 'origin_refused', 'An erasure can only be confirmed from the confirmation page: open the link from the e-mail and press its button.');
      }
      const b = confirmBody.safeParse(req.body ?? {});
      if (!b.success) throw linkInvalid();
      const confirmed = await service.confirmLink(b.data.token);
      if (html) sendPage(res, 200, confirmationPage(ctx(l), confirmed));
      else res.json(confirmationJson(confirmed));
    } catch (err) {
      if (!html) throw err;
      sendProblemPage(res, ctx(l), err);
    }
  });

  // An access answer's download: the person's export at one organisation, once, within 24 hours.
  router.get('/downloads/:token', limiter(settings.perIpVerifyLimit), async (req, res) => {
    const l = pageLang(req);
    try {
      const t = token.regex(/^[A-Za-z0-9_-]+$/).safeParse(req.params.token);
      if (!t.success) throw new AppError(404, 'download_not_found', 'This download link is not valid: please use the link exactly as it was given.');
      const document = await service.download(t.data);
      res.set('Content-Disposition', `attachment; filename="personal-data-${document.organization?.id ?? 'organisation'}.json"`);
      res.status(200).json(document);
    } catch (err) {
      if (!wantsHtml(req)) throw err;
      sendProblemPage(res, ctx(l), err);
    }
  });

  return router;
}
