import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { CONSENT_SCOPES, RETENTION_CHOICES, type PreferencesChange, type PreferencesService } from '../preferences/preferences-service.js';
import { privacyContactEmail } from '../preferences/preferences-routes.js';
import type { PageContext } from './layout.js';
import { PrivacyPage, type PrivacyValues } from './privacy-page.js';

/** What the privacy pages borrow from the dashboard: its services and how it renders a signed-in page. */
export interface PrivacyRoutesDeps {
  orgs: OrgsService;
  preferences: PreferencesService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
/** An unticked checkbox sends nothing, so absence means off; the form always sends every setting. */
const checkbox = z.literal('on').optional().transform((v) => v === 'on');
const privacyForm = z.object({
  retention_days: z.coerce
    .number()
    .int()
    .refine((v) => (RETENTION_CHOICES as readonly number[]).includes(v)),
  dtmf_consent: checkbox,
  consent_scope: z.enum(CONSENT_SCOPES),
  transcript_encryption: checkbox,
  // The form always sends the field; empty clears the contact.
  privacy_contact_email: z.preprocess((v) => v ?? '', privacyContactEmail),
});

/**
 * /app/orgs/:orgId/privacy: the organisation's privacy settings. Saving goes
 * through the preferences service the API's PUT uses, so the same role check,
 * RLS, audit row and listeners (the agents' retention window) apply.
 */
export function privacyRoutes(deps: PrivacyRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(req: Request, res: Response, orgId: string, opts: { values?: PrivacyValues; saved?: boolean; error?: 'invalidRetention' | 'invalidConsentScope' | 'invalidContactEmail'; status?: number }) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const values = opts.values ?? (await deps.preferences.read(auth, orgId));
    const ctx = await deps.signedInContext(req, res, orgId);
    const canEdit = ADMIN_ROLES.includes(org.role as OrgRole);
    deps.send(res, <PrivacyPage ctx={ctx} orgName={org.name} values={values} canEdit={canEdit} isOwner={org.role === 'owner'} saved={opts.saved} error={opts.error && ctx.t[opts.error]} />, opts.status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { saved: req.query.saved === '1' });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const parsed = privacyForm.safeParse(req.body);
    if (!parsed.success) {
      // The form again, with what was sent (where it can be shown) and why it was not saved.
      const stored = await deps.preferences.read(authOf(req), orgId);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const values: PrivacyValues = {
        retention_days: stored.retention_days,
        dtmf_consent: body.dtmf_consent === 'on',
        consent_scope: (CONSENT_SCOPES as readonly unknown[]).includes(body.consent_scope) ? (body.consent_scope as PrivacyValues['consent_scope']) : stored.consent_scope,
        transcript_encryption: body.transcript_encryption === 'on',
        privacy_contact_email: typeof body.privacy_contact_email === 'string' ? body.privacy_contact_email.slice(0, 254) : stored.privacy_contact_email,
      };
      const wrong = parsed.error.issues.map((i) => String(i.path[0]));
      const error = wrong.includes('retention_days') ? 'invalidRetention' : wrong.includes('privacy_contact_email') ? 'invalidContactEmail' : 'invalidConsentScope';
      await render(req, res, orgId, { values, error, status: 400 });
      return;
    }
    await deps.preferences.update(authOf(req), orgId, parsed.data as PreferencesChange);
    res.redirect(303, `/app/orgs/${orgId}/privacy?saved=1`);
  });

  return router;
}
