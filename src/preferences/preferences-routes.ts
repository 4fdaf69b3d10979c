import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { CONSENT_SCOPES, RETENTION_CHOICES, type PreferencesChange, type PreferencesService } from './preferences-service.js';

/** The DPO's or privacy contact's address; null (or blank) clears it. */
export const privacyContactEmail = z
  .string()
  .trim()
  .max(254)
  .transform((v) => (v === '' ? null : v))
  .pipe(z.string().email({ message: 'must be an e-mail address' }).nullable())
  .nullable();

export const updateBody = z
  .strictObject({
    retention_days: z
      .number()
      .int()
      .refine((v) => (RETENTION_CHOICES as readonly number[]).includes(v), {
        message: `must be one of ${RETENTION_CHOICES.join(', ')}`,
      }),
    dtmf_consent: z.boolean(),
    consent_scope: z.enum(CONSENT_SCOPES, { message: `must be one of ${CONSENT_SCOPES.join(', ')}` }),
    transcript_encryption: z.boolean(),
    privacy_contact_email: privacyContactEmail,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of retention_days, dtmf_consent, consent_scope, transcript_encryption, privacy_contact_email' });

/** /api/orgs/:orgId/preferences/privacy */
export function preferencesRoutes(service: PreferencesService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.read(authOf(req), orgId));
  });
  router.put('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(updateBody, req.body);
    res.json(await service.update(authOf(req), orgId, body as PreferencesChange));
  });
  return router;
}
