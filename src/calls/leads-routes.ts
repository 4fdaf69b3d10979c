import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { ValidationError } from '../lib/errors.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { LeadsService } from './leads-service.js';

export const leadParams = orgIdParams.extend({ leadId: z.string().uuid({ message: 'must be a lead id (uuid)' }) });
export const leadsListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.date().optional(),
  /** with `before`: the id of the last lead of the previous page (the keyset cursor is (created_at, id)) */
  before_id: z.string().uuid({ message: 'must be the id (uuid) of the last lead of the previous page' }).optional(),
});
/** PATCH's body (the dashboard's form uses it too). */
export const correctionBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    // Any way of writing a number: read into E.164 in the organisation's country (400 invalid_phone).
    phone: z.string().trim().min(1).max(64).nullable().optional(),
    email: z.string().trim().email({ message: 'must be an e-mail address' }).max(254).nullable().optional(),
    notes: z.string().max(5000).nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'give at least one of name, phone, email, notes' });

/**
 * /api/orgs/:orgId/leads (members): the callers' details calls left behind.
 *
 * - `GET /?limit=&before=&before_id=` → `{leads: [{id, call_id, name, phone (masked), anonymised_at, created_at}], next}`,
 *   newest first; `next` is the cursor of the following page (`{before, before_id}`), null on the last
 * - `GET /:leadId` → the lead with its number, e-mail address and notes
 * - `PATCH /:leadId` `{name?, phone?, email?, notes?}` (owners, admins) → the corrected lead
 *
 * Every read and correction is audited (ids, counts and field names only).
 */
export function leadsRoutes(service: LeadsService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const q = parse(leadsListQuery, req.query, 'query');
    if (q.before_id && !q.before) throw new ValidationError('Invalid query: before_id: give it together with before', [{ path: 'before_id', message: 'give it together with before' }]);
    const leads = await service.list(authOf(req), orgId, q);
    const last = leads.length === q.limit ? leads[leads.length - 1] : undefined;
    res.json({ leads, next: last ? { before: last.created_at, before_id: last.id } : null });
  });
  router.get('/:leadId', async (req, res) => {
    const { orgId, leadId } = parse(leadParams, req.params, 'path');
    res.json(await service.get(authOf(req), orgId, leadId));
  });
  router.patch('/:leadId', async (req, res) => {
    const { orgId, leadId } = parse(leadParams, req.params, 'path');
    const body = parse(correctionBody, req.body);
    res.json(await service.update(authOf(req), orgId, leadId, body));
  });
  return router;
}
