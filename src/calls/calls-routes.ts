import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { logger } from '../lib/logger.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { CallsService } from './calls-service.js';

export const callParams = orgIdParams.extend({ callId: z.string().uuid({ message: 'must be a call id (uuid)' }) });
export const recordingQuery = z.strictObject({ recording_id: z.string().uuid({ message: 'must be a recording id (uuid)' }).optional() });
export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.date().optional(),
});

/** /api/orgs/:orgId/calls */
export function callsRoutes(service: CallsService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const q = parse(listQuery, req.query, 'query');
    res.json({ calls: await service.list(authOf(req), orgId, q) });
  });
  router.get('/:callId', async (req, res) => {
    const { orgId, callId } = parse(callParams, req.params, 'path');
    res.json(await service.get(authOf(req), orgId, callId));
  });
  // The recording's audio, with its SHA-256 as RFC 9530's Repr-Digest (base64 of the raw digest).
  router.get('/:callId/recording', async (req, res) => {
    const { orgId, callId } = parse(callParams, req.params, 'path');
    const { recording_id: recordingId } = parse(recordingQuery, req.query, 'query');
    const r = await service.downloadRecording(authOf(req), orgId, callId, recordingId);
    res.set({
      'Content-Type': r.contentType,
      'Content-Length': String(r.audio.length),
      'Content-Disposition': `attachment; filename="recording-${r.recordingId}.wav"`,
      'Repr-Digest': `sha-256=:${Buffer.from(r.sha256, 'hex').toString('base64')}:`,
      'Cache-Control': 'no-store',
    });
    res.end(r.audio);
  });
  router.delete('/:callId', async (req, res) => {
    const { orgId, callId } = parse(callParams, req.params, 'path');
    const after = await service.remove(authOf(req), orgId, callId);
    res.status(204).end();
    after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after a call deletion failed'));
  });
  return router;
}
