import express, { Router } from 'express';
import { logger } from '../lib/logger.js';
import type { PostCallService } from './post-call-service.js';

/** /webhooks/elevenlabs: the post-call webhook, verified over the raw body. */
export function elevenLabsWebhookRoutes(service: PostCallService): Router {
  const router = Router();
  router.post('/post-call', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { result, after } = await service.receive(req.get('elevenlabs-signature'), raw);
    res.json(result);
    if (after) after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'post-call follow-up failed'));
  });
  return router;
}
