import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { parse } from '../lib/validate.js';
import type { LocalSignIn } from './local-sign-in.js';

export const linkBody = z.strictObject({ email: z.string().trim().email().max(254) });
export const callbackQuery = z.object({ token: z.string().min(10).max(4096) });

/** /auth: local mode's passwordless sign-in (production uses Supabase Auth). */
export function localSignInRoutes(signIn: LocalSignIn): Router {
  const router = Router();
  router.use(rateLimit({ windowMs: 15 * 60 * 1000, limit: 20, standardHeaders: 'draft-8', legacyHeaders: false }));

  router.post('/magic-link', async (req, res) => {
    const { email } = parse(linkBody, req.body);
    await signIn.sendMagicLink(email);
    res.status(202).json({ message: 'If that address can sign in, a link is on its way.' });
  });

  router.get('/callback', async (req, res) => {
    const { token } = parse(callbackQuery, req.query, 'query');
    // The e-mailed link opened in a browser: the dashboard exchanges it and starts a session.
    // API clients (asking for JSON, or for nothing in particular) get the access token.
    if (req.accepts(['json', 'html']) === 'html') {
      res.redirect(303, `/app/auth/callback?token=${encodeURIComponent(token)}`);
      return;
    }
    const { purpose: _purpose, ...session } = await signIn.exchange(token);
    res.json(session);
  });
  return router;
}
