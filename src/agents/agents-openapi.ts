import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { agentParams, createAgentBody, updateAgentBody } from './agents-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Agents'];

const Agent = z
  .looseObject({
    id: uuid,
    name: z.string(),
    language: z.string(),
    first_message: z.string(),
    phone_number: z.string().nullable().meta({ description: 'The E.164 number that rings this agent.' }),
    elevenlabs_agent_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Agent' });

/** /api/orgs/:orgId/agents (src/agents/agents-routes.ts). */
export const describeAgents: Describe = (api) => {
  api.json({ method: 'get', path: '/api/orgs/:orgId/agents', tags, security: bearer, summary: "The organisation's agents", params: orgIdParams, responses: { 200: z.object({ agents: z.array(Agent) }) } });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/agents',
    tags,
    security: bearer,
    summary: 'Create an agent (owner, admin), at ElevenLabs too',
    description: '422 `language_unsupported` or `disclaimer_missing` (the first message lacks the AI disclosure or recording notice); 409 for a number in use; 502 when ElevenLabs refuses (nothing changed).',
    params: orgIdParams,
    body: createAgentBody,
    responses: { 201: Agent },
    errors: [409, 422, 502],
  });
  api.json({ method: 'get', path: '/api/orgs/:orgId/agents/:agentId', tags, security: bearer, summary: 'One agent', params: agentParams, responses: { 200: Agent } });
  api.json({ method: 'patch', path: '/api/orgs/:orgId/agents/:agentId', tags, security: bearer, summary: 'Change an agent (owner, admin); `phone_number: null` detaches the number', params: agentParams, body: updateAgentBody, responses: { 200: Agent }, errors: [409, 422, 502] });
  api.json({ method: 'delete', path: '/api/orgs/:orgId/agents/:agentId', tags, security: bearer, summary: 'Delete an agent (owner, admin); its number stays with the organisation', params: agentParams, responses: { 204: null }, errors: [502] });
};
