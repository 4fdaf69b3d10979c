import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { isIsoCountry } from '../lib/countries.js';
import type { OrgsService } from './orgs-service.js';

export const orgIdParams = z.object({ orgId: z.string().uuid({ message: 'must be an organisation id (uuid)' }) });
export const memberParams = orgIdParams.extend({ userId: z.string().uuid({ message: 'must be a user id (uuid)' }) });
export const role = z.enum(['owner', 'admin', 'member']);

const orgName = z.string().trim().min(1).max(200);
/** ISO 3166-1 alpha-2 (any case in, upper case stored), or null for none. */
const country = z
  .string()
  .trim()
  .transform((c) => c.toUpperCase())
  .refine((c) => /^[A-Z]{2}$/.test(c) && isIsoCountry(c), { message: 'must be an ISO 3166 alpha-2 country code such as DE' })
  .nullable();
export const createOrgBody = z.strictObject({ name: orgName, country: country.optional() });
export const updateOrgBody = z
  .strictObject({ name: orgName, country })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give name or country' });
export const inviteBody = z.strictObject({ email: z.string().trim().email().max(254), role: role.default('member') });
export const changeRoleBody = z.strictObject({ role });

/** /api/orgs: organisations and their members. */
export function orgsRoutes(service: OrgsService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parse(createOrgBody, req.body);
    res.status(201).json(await service.create(authOf(req), body.name, body.country));
  });

  router.get('/', async (req, res) => {
    res.json({ organizations: await service.list(authOf(req)) });
  });

  router.get('/:orgId', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.get(authOf(req), orgId));
  });

  router.patch('/:orgId', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(updateOrgBody, req.body);
    res.json(await service.update(authOf(req), orgId, body));
  });

  router.get('/:orgId/members', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ members: await service.listMembers(authOf(req), orgId) });
  });

  router.post('/:orgId/members', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(inviteBody, req.body);
    res.status(201).json(await service.invite(authOf(req), orgId, body.email, body.role));
  });

  router.patch('/:orgId/members/:userId', async (req, res) => {
    const { orgId, userId } = parse(memberParams, req.params, 'path');
    const body = parse(changeRoleBody, req.body);
    res.json(await service.changeRole(authOf(req), orgId, userId, body.role));
  });

  router.delete('/:orgId/members/:userId', async (req, res) => {
    const { orgId, userId } = parse(memberParams, req.params, 'path');
    await service.removeMember(authOf(req), orgId, userId);
    res.status(204).end();
  });

  return router;
}

/**
 * /api/invitations: the caller's own invitations. An invitation grants nothing
 * until it is accepted; declining removes it.
 */
export function invitationsRoutes(service: OrgsService): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json({ invitations: await service.listInvitations(authOf(req)) });
  });

  router.post('/:orgId/acceptance', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.acceptInvitation(authOf(req), orgId));
  });

  router.delete('/:orgId', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    await service.declineInvitation(authOf(req), orgId);
    res.status(204).end();
  });

  return router;
}
