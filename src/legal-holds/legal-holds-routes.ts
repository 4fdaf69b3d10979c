import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { subjectOf } from '../erasure/erasure-routes.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { LegalHoldsService } from './legal-holds-service.js';

const holdFields = {
  reason: z.string().trim().min(5, { message: 'give the reason for the hold (at least 5 characters)' }).max(2000),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO date-time, e.g. 2027-06-30T00:00:00Z' }).optional(),
};
export const holdBody = z
  .strictObject({
    email: z.string().trim().email({ message: 'must be an e-mail address' }).max(254).optional(),
    // Any way of writing a number: read in the organisation's country (400 invalid_phone).
    phone: z.string().trim().min(1).max(64).optional(),
    ...holdFields,
  })
  .refine((b) => (b.email === undefined) !== (b.phone === undefined), { message: 'give the person\'s phone or email (exactly one of them)', path: ['phone'] });
export const holdParams = orgIdParams.extend({ holdId: z.string().uuid({ message: 'must be a legal hold id (uuid)' }) });

/**
 * /api/orgs/:orgId/legal-holds (owners and admins), each audited:
 *
 * - `POST /` `{phone | email, reason, until?}` → 201, the hold (subject masked)
 * - `GET /` → `{legal_holds: [...]}`, newest first
 * - `DELETE /:holdId` → the hold, ended now (409 if it had ended)
 */
export function legalHoldsRoutes(service: LegalHoldsService): Router {
  const router = Router({ mergeParams: true });
  router.post('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(holdBody, req.body);
    const subject = subjectOf(body.email !== undefined ? { email: body.email } : { phone: body.phone! });
    res.status(201).json(await service.place(authOf(req), orgId, { subject, reason: body.reason, until: body.until ? new Date(body.until) : null }));
  });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ legal_holds: await service.list(authOf(req), orgId) });
  });
  router.delete('/:holdId', async (req, res) => {
    const { orgId, holdId } = parse(holdParams, req.params, 'path');
    res.json(await service.end(authOf(req), orgId, holdId));
  });
  return router;
}
