import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { AgentChange, AgentsService, NewAgent } from './agents-service.js';

export const agentParams = orgIdParams.extend({ agentId: z.string().uuid({ message: 'must be an agent id (uuid)' }) });

/** The rules for each field of an agent's body; the dashboard's forms use the same ones. */
export const agentFields = {
  name: z.string().trim().min(1).max(200),
  // Any tag is accepted here (lower-cased, `_` read as `-`) so that an unknown language gets the
  // service's 422 `language_unsupported`, which lists the supported ones, rather than a bare 400.
  language: z
    .string()
    .trim()
    .min(1)
    .max(35)
    .transform((s) => s.toLowerCase().replace(/_/g, '-')),
  first_message: z
    .string()
    .min(1)
    .max(2000)
    .refine((s) => s.trim().length > 0, { message: 'must not be blank' }),
  // Any way of writing a number: the service reads it in the organisation's country (400 invalid_phone).
  phone_number: z.string().trim().min(1).max(64).nullable(),
};

export const createAgentBody = z.strictObject({ ...agentFields, phone_number: agentFields.phone_number.optional() });
export const updateAgentBody = z
  .strictObject(agentFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of name, language, first_message, phone_number' });

/**
 * /api/orgs/:orgId/agents. Read: members; write: owner, admin.
 *
 * - `GET /` → `{agents: [...]}`; `GET /:agentId` → the agent
 *   (`{id, name, language, first_message, phone_number, elevenlabs_agent_id, created_at, updated_at}`).
 * - `POST /` `{name, language, first_message, phone_number?}` → 201 the agent.
 * - `PATCH /:agentId` any of those (at least one); `phone_number: null` detaches the number.
 * - `DELETE /:agentId` → 204; the number stays with the organisation, detached.
 *
 * Refusals: 400 malformed body, or `invalid_phone` for a number that cannot be read (in national
 * format, it is read in the organisation's country); 422 `language_unsupported` for a language without disclaimer
 * catalogue entry (any string is accepted by the schema on purpose, so the answer lists the
 * supported languages); 422 `disclaimer_missing` when the resulting first message lacks the AI
 * disclosure or recording notice of its language (`details: {missing, forbidden}`); 409 for a
 * phone number of another agent or organisation; 502 `upstream_failed` when ElevenLabs refuses
 * or does not answer, in which case nothing was changed.
 */
export function agentsRoutes(service: AgentsService): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ agents: await service.list(authOf(req), orgId) });
  });

  router.post('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body: NewAgent = parse(createAgentBody, req.body);
    res.status(201).json(await service.create(authOf(req), orgId, body));
  });

  router.get('/:agentId', async (req, res) => {
    const { orgId, agentId } = parse(agentParams, req.params, 'path');
    res.json(await service.get(authOf(req), orgId, agentId));
  });

  router.patch('/:agentId', async (req, res) => {
    const { orgId, agentId } = parse(agentParams, req.params, 'path');
    const body: AgentChange = parse(updateAgentBody, req.body);
    res.json(await service.update(authOf(req), orgId, agentId, body));
  });

  router.delete('/:agentId', async (req, res) => {
    const { orgId, agentId } = parse(agentParams, req.params, 'path');
    await service.remove(authOf(req), orgId, agentId);
    res.status(204).end();
  });

  return router;
}
