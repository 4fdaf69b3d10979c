import express, { Router, type Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { publicLanguageOf } from '../dashboard/messages.js';
import { ACK_LANGS, type AckLang } from './incident-ack-messages.js';
import { ackAskPage, ackDonePage, ackProblemPage } from './incident-ack-page.js';
import { AlreadyAcknowledgedError, LinkError, type IncidentNoticesService } from './incident-notices-service.js';

const token = z.string().min(1).max(2048);
export const ackQuery = z.object({ token, lang: z.enum(ACK_LANGS).optional() });
export const ackBody = z.object({ token, lang: z.enum(ACK_LANGS).optional() });

/** The page's language, as on every public page: ?lang= (or the form's field), else Accept-Language, else English. */
const pageLang = (req: Request): AckLang => publicLanguageOf(req);

/** A browser gets pages; an API client (JSON body or Accept: application/json) gets JSON. */
function wantsHtml(req: Request): boolean {
  return !req.is('application/json') && req.accepts(['html', 'json']) === 'html';
}

/**
 * Whether the post may have come from our own page. There is no session (the
 * recipient may have no account), so no CSRF cookie: the signed single-use
 * token in the form is the proof. On top of it a browser's Origin must be
 * ours; without Origin (not a browser) the token alone decides; Origin `null`
 * only with Fetch Metadata saying same-origin.
 */
function fromOurPage(req: Request, publicOrigin: string): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return true;
  if (origin === 'null') return req.get('sec-fetch-site') === 'same-origin';
  return origin === publicOrigin;
}

function problemOf(err: unknown): { status: number; problem: Parameters<typeof ackProblemPage>[1] } {
  if (err instanceof LinkError) return { status: err.status, problem: err.code === 'link_expired' ? 'expired' : 'invalid' };
  if (err instanceof AppError && err.code === 'origin_refused') return { status: 403, problem: 'origin' };
  if (err instanceof AppError && err.code === 'too_many_requests') return { status: 429, problem: 'tooMany' };
  if (err instanceof AppError && err.status < 500) return { status: err.status, problem: 'invalid' };
  logger.error({ err_name: (err as Error)?.name }, 'incident acknowledgement page failed');
  return { status: 500, problem: 'error' };
}

/**
 * /incidents/acknowledge: the page an incident notice e-mail links to. Its
 * recipient may have no account. Opening it (GET or HEAD, as mail scanners
 * do) only checks the link and shows a button; the button's POST acknowledges
 * and uses the link up. Never cached, never indexed, no Referer to other sites.
 */
export function incidentAckRoutes(service: IncidentNoticesService, opts: { publicBaseUrl: string }): Router {
  const router = Router();
  const publicOrigin = new URL(opts.publicBaseUrl).origin;
  const parsers = [express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 10 }), express.json({ limit: '10kb', strict: true })];
  const limiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 30,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res, next) => {
      if (wantsHtml(req)) res.status(429).type('html').send(ackProblemPage(pageLang(req), 'tooMany'));
      else next(new AppError(429, 'too_many_requests', 'Too many attempts from this address: try again later.'));
    },
  });

  router.use(pageSecurityPolicy());
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('Referrer-Policy', 'same-origin');
    res.set('X-Robots-Tag', 'noindex');
    next();
  });

  router.get('/', limiter, async (req, res) => {
    const lang = pageLang(req);
    const html = wantsHtml(req);
    try {
      const q = ackQuery.safeParse(req.query);
      if (!q.success) throw new LinkError('invalid');
      const view = await service.inspectLink(q.data.token);
      const done = view.state === 'acknowledged' || view.token_used;
      if (!html) {
        res.json({ ...view, acknowledge: done ? null : { method: 'POST', path: '/incidents/acknowledge', fields: ['token'] } });
      } else if (done) {
        res.type('html').send(ackDonePage(lang, view, view.state === 'acknowledged' ? 'acknowledged' : 'used'));
      } else {
        res.type('html').send(ackAskPage(lang, q.data.token, view));
      }
    } catch (err) {
      if (!html) throw err;
      const { status, problem } = problemOf(err);
      res.status(status).type('html').send(ackProblemPage(lang, problem));
    }
  });

  router.post('/', ...parsers, limiter, async (req, res) => {
    const lang = pageLang(req);
    const html = wantsHtml(req);
    let parsedToken: string | undefined;
    try {
      if (!fromOurPage(req, publicOrigin)) throw new AppError(403, 'origin_refused', 'The acknowledgement can only be sent from its page: open the link from the e-mail and press its button.');
      const b = ackBody.safeParse(req.body ?? {});
      if (!b.success) throw new LinkError('invalid');
      parsedToken = b.data.token;
      const view = await service.confirmLink(parsedToken);
      if (html) res.type('html').send(ackDonePage(lang, view, 'no'));
      else res.json(view);
    } catch (err) {
      if (err instanceof AlreadyAcknowledgedError && parsedToken) {
        // Said plainly, with when it was acknowledged: a second press is not an error of the recipient's.
        const view = await service.inspectLink(parsedToken);
        if (html) res.status(409).type('html').send(ackDonePage(lang, view, view.state === 'acknowledged' ? 'acknowledged' : 'used'));
        else res.status(409).json({ error: { code: err.code, message: err.message }, ...view });
        return;
      }
      if (!html) throw err;
      const { status, problem } = problemOf(err);
      res.status(status).type('html').send(ackProblemPage(lang, problem));
    }
  });

  return router;
}
