import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import type { IncidentsService } from './incidents-service.js';

const when = z.coerce.date();
const fields = {
  title: z.string().trim().min(3).max(300),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  description: z.string().max(20_000),
  affected_org_ids: z.array(z.string().uuid()).max(10_000),
  aware_at: when.nullable(),
  detected_at: when,
  contained_at: when.nullable(),
  nature: z.string().max(5000).nullable(),
  data_categories: z.array(z.string().min(1).max(200)).max(100).nullable(),
  approx_subjects: z.number().int().min(0).nullable(),
  approx_records: z.number().int().min(0).nullable(),
  contact_point: z.string().max(1000).nullable(),
  likely_consequences: z.string().max(5000).nullable(),
  measures: z.string().max(5000).nullable(),
  art34_required: z.boolean().nullable(),
  art34_exemption: z.string().max(2000).nullable(),
};
/** The body of a new incident (the dashboard's form is turned into it too). */
export const createBody = z.strictObject(fields).partial().required({ title: true, severity: true, detected_at: true });
/** The Art. 33(3) contents, each optional (nullable: blank clears it). */
export const contentsBody = z
  .strictObject(fields)
  .pick({ nature: true, data_categories: true, approx_subjects: true, approx_records: true, contact_point: true, likely_consequences: true, measures: true, art34_required: true, art34_exemption: true })
  .partial();
export const updateBody = z.strictObject(fields).partial().refine((b) => Object.keys(b).length > 0, { message: 'give at least one field' });
/** The notification's own fields (the dashboard's form sends them with the Art. 33(3) contents). */
export const notifiedBody = z.strictObject({
  authority_reference: z.string().trim().min(1).max(300),
  notified_at: when.optional(),
  delay_reason: z.string().trim().max(5000).optional(),
});
export const idParams = z.object({ id: z.string().uuid() });

/** /api/admin/incidents (operators): the breach register. */
export function incidentsRoutes(service: IncidentsService): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ incidents: await service.list() });
  });
  router.post('/', async (req, res) => {
    const body = parse(createBody, req.body);
    res.status(201).json(await service.create(authOf(req).actor, body as never));
  });
  router.get('/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'path');
    res.json(await service.get(id));
  });
  router.patch('/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'path');
    res.json(await service.update(authOf(req).actor, id, parse(updateBody, req.body) as never));
  });
  router.post('/:id/notified', async (req, res) => {
    const { id } = parse(idParams, req.params, 'path');
    res.json(await service.markNotified(authOf(req).actor, id, parse(notifiedBody, req.body)));
  });
  return router;
}
