import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { ErasureService } from './erasure-service.js';
import type { ErasureSubject } from './erasure-types.js';

export const subjectBody = z.union([
  z.strictObject({ email: z.string().trim().email().max(254) }),
  // Any way of writing a number: the service reads it in the organisation's country (400 invalid_phone).
  z.strictObject({ phone: z.string().trim().min(1).max(64) }),
]);

/** Turns `{email}` / `{phone}` into an erasure subject as given (the phone number not yet read). */
export function subjectOf(body: z.infer<typeof subjectBody>): ErasureSubject {
  return 'email' in body ? { type: 'email', value: body.email } : { type: 'phone', value: body.phone };
}

export const extensionBody = z.strictObject({
  months: z.number().int().min(1).max(2),
  reason: z.string().trim().min(10).max(2000),
  /** where to tell the requester, when we hold no address for them (dashboard requests) */
  requester_email: z.string().trim().email().max(254).optional(),
});
export const adminRequestParams = z.object({ id: z.string().uuid() });
export const requestParams = orgIdParams.extend({ requestId: z.string().uuid() });

/** /api/orgs/:orgId/erasure-requests (owner, admin) */
export function erasureRoutes(erasure: ErasureService): Router {
  const router = Router({ mergeParams: true });
  router.post('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(subjectBody, req.body);
    res.status(202).json(await erasure.fileDashboardRequest(authOf(req), orgId, subjectOf(body)));
  });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ erasure_requests: await erasure.list(authOf(req), orgId) });
  });
  router.post('/:requestId/extension', async (req, res) => {
    const { orgId, requestId } = parse(requestParams, req.params, 'path');
    const body = parse(extensionBody, req.body);
    res.json(await erasure.extendOrgRequest(authOf(req), orgId, requestId, body.months, body.reason, { requesterEmail: body.requester_email }));
  });
  return router;
}

/** /api/admin/erasure-requests (operators): public requests belong to no organisation. */
export function adminErasureRoutes(erasure: ErasureService): Router {
  const router = Router();
  router.post('/:id/extension', async (req, res) => {
    const { id } = parse(adminRequestParams, req.params, 'path');
    const body = parse(extensionBody, req.body);
    res.json(await erasure.extend(id, body.months, body.reason, authOf(req).actor, { requesterEmail: body.requester_email }));
  });
  return router;
}

/** DELETE /api/orgs/:orgId: account deletion (owner). */
export function accountDeletionRoutes(erasure: ErasureService): Router {
  const router = Router();
  router.delete('/:orgId', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.status(202).json(await erasure.deleteAccount(authOf(req), orgId));
  });
  return router;
}
