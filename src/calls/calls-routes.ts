import { createHash } from 'node:crypto';
import { once } from 'node:events';
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
  // The recording's audio, streamed from wherever it lives, with its SHA-256 as RFC 9530's
  // Repr-Digest (base64 of the raw digest). The bytes sent are hashed on the way; the download
  // is audited (with whether they matched) before the last chunk is sent.
  router.get('/:callId/recording', async (req, res) => {
    const { orgId, callId } = parse(callParams, req.params, 'path');
    const { recording_id: recordingId } = parse(recordingQuery, req.query, 'query');
    const r = await service.openRecording(authOf(req), orgId, callId, recordingId);
    res.set({
      'Content-Type': r.contentType,
      'Content-Disposition': `attachment; filename="recording-${r.recordingId}.wav"`,
      'Repr-Digest': `sha-256=:${Buffer.from(r.sha256, 'hex').toString('base64')}:`,
      'Cache-Control': 'no-store',
    });
    if (r.length !== null) res.set('Content-Length', String(r.length));
    const hash = createHash('sha256');
    // The last chunk is held back until the download is audited: with a Content-Length the
    // client has the whole body with its last byte, so the audit must be committed by then.
    let held: Buffer | null = null;
    try {
      for await (const chunk of r.body) {
        hash.update(chunk as Buffer);
        if (held && !res.write(held)) await once(res, 'drain');
        held = chunk as Buffer;
      }
    } catch (err) {
      logger.warn({ recording_id: r.recordingId, err_name: (err as Error).name }, 'recording download interrupted');
      r.body.destroy();
      res.destroy();
      return;
    }
    await r.finish(hash.digest('hex'));
    if (held) res.end(held);
    else res.end();
  });
  router.delete('/:callId', async (req, res) => {
    const { orgId, callId } = parse(callParams, req.params, 'path');
    const after = await service.remove(authOf(req), orgId, callId);
    res.status(204).end();
    after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after a call deletion failed'));
  });
  return router;
}
