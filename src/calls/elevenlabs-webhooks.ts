import express, { Router } from 'express';
import { logger } from '../lib/logger.js';
import { STOP_RECORDING_PATH, STOP_RECORDING_SECRET_HEADER } from '../providers/stop-recording-tool.js';
import type { PostCallService } from './post-call-service.js';
import type { WithdrawalService } from './withdrawal-service.js';

const MOUNT = '/webhooks/elevenlabs';
if (!STOP_RECORDING_PATH.startsWith(`${MOUNT}/`)) throw new Error('the stop_recording tool path must live under /webhooks/elevenlabs');

/**
 * /webhooks/elevenlabs: the post-call webhook, verified over the raw body, and
 * the agents' stop_recording tool (a caller withdraws consent mid-call),
 * verified by its per-agent secret header.
 */
export function elevenLabsWebhookRoutes(service: PostCallService, withdrawal: WithdrawalService): Router {
  const router = Router();
  router.post('/post-call', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { result, after } = await service.receive(req.get('elevenlabs-signature'), raw);
    res.json(result);
    if (after) after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'post-call follow-up failed'));
  });
  // Two short fields: a small limit. Any content type is read as JSON (the tool sends JSON).
  router.post(STOP_RECORDING_PATH.slice(MOUNT.length), express.json({ type: () => true, limit: '2kb', strict: true }), async (req, res) => {
    const { answer, after } = await withdrawal.withdraw(req.get(STOP_RECORDING_SECRET_HEADER), req.body);
    res.json(answer);
    // Twilio is asked to stop the recording as soon as the answer is out (well within two seconds).
    if (after) after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'withdrawal follow-up failed'));
  });
  return router;
}
