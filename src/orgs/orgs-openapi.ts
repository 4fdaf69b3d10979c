import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { changeRoleBody, createOrgBody, inviteBody, memberParams, orgIdParams, role, updateOrgBody } from './orgs-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Organisations'];

export const Organization = z
  .object({
    id: uuid,
    name: z.string(),
    country: z.string().nullable().meta({ description: 'ISO 3166-1 alpha-2, or null' }),
    phone_country: z.string().nullable().meta({ description: 'The country national-format numbers are read in (its own, else its first number\'s).' }),
    created_at: timestamp,
    role: role.meta({ description: "The caller's role in it." }),
  })
  .meta({ id: 'Organization' });

const Member = z
  .object({
    user_id: uuid,
    email: z.string().nullable(),
    role,
    invited_at: timestamp.nullable(),
    accepted_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Member' });

const Invitation = z.object({ org_id: uuid, org_name: z.string(), role, invited_at: timestamp }).meta({ id: 'Invitation' });

/** /api/orgs and /api/invitations (src/orgs/orgs-routes.ts). */
export const describeOrgs: Describe = (api) => {
  api.json({ method: 'post', path: '/api/orgs', tags, security: bearer, summary: 'Create an organisation (the caller becomes its owner)', body: createOrgBody, responses: { 201: Organization } });
  api.json({ method: 'get', path: '/api/orgs', tags, security: bearer, summary: "The caller's organisations", responses: { 200: z.object({ organizations: z.array(Organization) }) } });
  api.json({ method: 'get', path: '/api/orgs/:orgId', tags, security: bearer, summary: 'One organisation', params: orgIdParams, responses: { 200: Organization } });
  api.json({ method: 'patch', path: '/api/orgs/:orgId', tags, security: bearer, summary: 'Rename an organisation or set its country (owner, admin)', params: orgIdParams, body: updateOrgBody, responses: { 200: Organization } });
  api.json({ method: 'get', path: '/api/orgs/:orgId/members', tags, security: bearer, summary: 'The members and pending invitations', params: orgIdParams, responses: { 200: z.object({ members: z.array(Member) }) } });
  api.json({ method: 'post', path: '/api/orgs/:orgId/members', tags, security: bearer, summary: 'Invite someone by e-mail (owner, admin)', params: orgIdParams, body: inviteBody, responses: { 201: Member }, errors: [409, 429, 502] });
  api.json({ method: 'patch', path: '/api/orgs/:orgId/members/:userId', tags, security: bearer, summary: "Change a member's role (owner)", params: memberParams, body: changeRoleBody, responses: { 200: Member }, errors: [409] });
  api.json({ method: 'delete', path: '/api/orgs/:orgId/members/:userId', tags, security: bearer, summary: 'Remove a member (owner, admin; anyone may leave)', params: memberParams, responses: { 204: null }, errors: [409] });
  api.json({ method: 'get', path: '/api/invitations', tags, security: bearer, summary: "The caller's own pending invitations", responses: { 200: z.object({ invitations: z.array(Invitation) }) } });
  api.json({ method: 'post', path: '/api/invitations/:orgId/acceptance', tags, security: bearer, summary: 'Accept an invitation', params: orgIdParams, responses: { 200: z.object({ org_id: uuid, role }) } });
  api.json({ method: 'delete', path: '/api/invitations/:orgId', tags, security: bearer, summary: 'Decline an invitation', params: orgIdParams, responses: { 204: null } });
};
