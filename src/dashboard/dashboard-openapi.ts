import { z } from 'zod';
import { SECURITY, type Describe } from '../lib/openapi.js';

type Page = [method: 'get' | 'post', path: string, summary: string, description?: string];

/** Pages anyone may open (signing in), then the pages behind the session cookie. */
const PUBLIC_PAGES: Page[] = [
  ['post', '/app/language', 'Choose the dashboard language (a cookie), back to the page'],
  ['get', '/app/sign-in', 'The sign-in form'],
  ['post', '/app/sign-in', 'E-mail a sign-in link'],
  ['get', '/app/auth/callback', 'Sign in from the e-mailed link (local mode)'],
  ['get', '/app/auth/confirm', 'Sign in from the e-mailed link (Supabase Auth)'],
  ['post', '/app/sign-out', 'Sign out'],
];

const SIGNED_IN_PAGES: Page[] = [
  ['get', '/app', "The person's organisations"],
  ['post', '/app/orgs', 'Create an organisation'],
  ['get', '/app/switch', 'Switch to another organisation'],
  ['get', '/app/orgs/:orgId/calls', 'Calls'],
  ['get', '/app/orgs/:orgId/calls/:callId', 'One call (audited)'],
  ['post', '/app/orgs/:orgId/calls/:callId/delete', 'Delete a call'],
  ['get', '/app/orgs/:orgId/members', 'Members and invitations'],
  ['post', '/app/orgs/:orgId/members', 'Invite someone'],
  ['post', '/app/orgs/:orgId/members/:userId/role', "Change a member's role"],
  ['post', '/app/orgs/:orgId/members/:userId/remove', 'Remove a member'],
  ['get', '/app/orgs/:orgId/privacy', 'Privacy settings'],
  ['post', '/app/orgs/:orgId/privacy', 'Save the privacy settings'],
  ['get', '/app/orgs/:orgId/erasure-requests', 'Erasure requests'],
  ['post', '/app/orgs/:orgId/erasure-requests', "Erase a person's data"],
  ['post', '/app/orgs/:orgId/erasure-requests/:requestId/extension', 'Extend an erasure request'],
  ['get', '/app/orgs/:orgId/agents', 'Agents'],
  ['post', '/app/orgs/:orgId/agents', 'Create an agent'],
  ['get', '/app/orgs/:orgId/agents/:agentId', 'Edit an agent'],
  ['post', '/app/orgs/:orgId/agents/:agentId', 'Save an agent'],
  ['get', '/app/orgs/:orgId/agents/:agentId/delete', 'Confirm deleting an agent'],
  ['post', '/app/orgs/:orgId/agents/:agentId/delete', 'Delete an agent'],
  ['get', '/app/orgs/:orgId/exports', 'Exports'],
  ['get', '/app/orgs/:orgId/activity', 'The activity log'],
  ['get', '/app/orgs/:orgId/subprocessors', 'Sub-processors'],
  ['post', '/app/orgs/:orgId/subprocessors/:id/objection', 'Object to a sub-processor'],
  ['get', '/app/orgs/:orgId/webhooks', 'Outgoing webhooks'],
  [
    'post',
    '/app/orgs/:orgId/webhooks',
    'Register a webhook endpoint',
    'The form carries `form_id`, a one-time id rendered with it, and registers at most once. ' +
      '201: the first submission registered the endpoint; the page shows its signing secret, this once (no-store). ' +
      '200: the same form was submitted before (a reload re-posts it): nothing is registered, and the page says the endpoint ' +
      'was registered already and that its secret was shown only once, without showing it. ' +
      '400: the form again with what was wrong (also when `form_id` is missing or not a uuid: a form from before it had one).',
  ],
  ['post', '/app/orgs/:orgId/webhooks/:endpointId/delete', 'Remove a webhook endpoint'],
  ['get', '/app/orgs/:orgId/trust', 'Trust checks'],
  ['get', '/app/orgs/:orgId/leads', 'Leads'],
  ['get', '/app/orgs/:orgId/leads/:leadId', 'One lead (audited)'],
  ['post', '/app/orgs/:orgId/leads/:leadId', 'Correct a lead'],
  ['get', '/app/orgs/:orgId/incidents', 'Security incidents naming the organisation'],
  ['post', '/app/orgs/:orgId/incidents/:incidentId/acknowledgement', 'Acknowledge an incident notice (owner, admin)'],
  ['get', '/app/orgs/:orgId/recording-storage', 'Customer recording storage'],
  ['post', '/app/orgs/:orgId/recording-storage', 'Save the recording storage (checked first)'],
  ['post', '/app/orgs/:orgId/recording-storage/delete', 'Remove the recording storage'],
  ['get', '/app/orgs/:orgId/legal-holds', 'Legal holds'],
  ['post', '/app/orgs/:orgId/legal-holds', 'Place a legal hold'],
  ['post', '/app/orgs/:orgId/legal-holds/:holdId/end', 'End a legal hold'],
  ['get', '/app/invitations', 'Invitations'],
  ['post', '/app/invitations/:orgId/accept', 'Accept an invitation'],
  ['post', '/app/invitations/:orgId/decline', 'Decline an invitation'],
  ['get', '/app/orgs/:orgId/delete', 'Confirm deleting the organisation'],
  ['post', '/app/orgs/:orgId/delete', 'Delete the organisation'],
  ['get', '/app/admin/incidents', 'Operators: the breach register'],
  ['post', '/app/admin/incidents', 'Operators: register an incident'],
  ['get', '/app/admin/incidents/:id', 'Operators: one incident'],
  ['post', '/app/admin/incidents/:id/organizations', 'Operators: name more organisations in an incident'],
  ['post', '/app/admin/incidents/:id/notified', 'Operators: record the notification'],
  ['get', '/app/admin/subprocessors', 'Operators: sub-processors'],
  ['post', '/app/admin/subprocessors', 'Operators: announce a sub-processor'],
];

/** The statuses a dashboard page is refused with (as a page in the person's language). */
const ERROR_PAGES = [400, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503];

/** `/app/orgs/:orgId/calls/:callId` → a params schema of orgId and callId. */
function paramsOf(path: string): z.ZodObject | undefined {
  const names = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined;
}

const form = z.looseObject({ _csrf: z.string().meta({ description: 'The value of the `csrf` cookie.' }) });

/** The dashboard's pages (src/dashboard/*-routes.tsx): HTML, briefly. */
export const describeDashboard: Describe = (api) => {
  const tags = ['Dashboard'];
  for (const [pages, security] of [
    [PUBLIC_PAGES, undefined],
    [SIGNED_IN_PAGES, [SECURITY.session]],
  ] as const) {
    for (const [method, path, summary, description] of pages) {
      api.html({
        method,
        path,
        tags,
        summary,
        ...(description ? { description } : {}),
        security: security ? [...security] : undefined,
        params: paramsOf(path),
        form: method === 'post' ? form : undefined,
        // A form post answers 201 when the page shows what it created once (a webhook's secret).
        pages: method === 'post' ? [200, 201] : [200],
        redirects: [303],
        errorPages: ERROR_PAGES,
      });
    }
  }
  api.raw({
    method: 'post',
    path: '/app/orgs/:orgId/exports',
    tags,
    summary: 'Download an export (a JSON file), or the form again with what was wrong',
    security: [{ [SECURITY.session]: [] }],
    request: { params: paramsOf('/:orgId')!, body: { content: { 'application/x-www-form-urlencoded': { schema: form } } } },
    responses: {
      200: { description: 'The export as an attachment.', content: { 'application/json': { schema: z.looseObject({}) } } },
      303: { description: 'To sign-in.' },
      ...Object.fromEntries(ERROR_PAGES.map((s) => [s, { description: 'The form with the problem, or an error page.', content: { 'text/html': { schema: z.string() } } }])),
    },
  });
  api.raw({
    method: 'post',
    path: '/app/orgs/:orgId/agents/first-message-check',
    tags,
    summary: "htmx: check an agent's first message as it is typed (an HTML fragment)",
    security: [{ [SECURITY.session]: [] }],
    request: { params: paramsOf('/:orgId')!, body: { content: { 'application/x-www-form-urlencoded': { schema: form } } } },
    responses: {
      200: { description: 'The fragment.', content: { 'text/html': { schema: z.string() } } },
      303: { description: 'To sign-in.' },
      ...Object.fromEntries(ERROR_PAGES.map((s) => [s, { description: 'Refused.', content: { 'text/html': { schema: z.string() } } }])),
    },
  });
  api.raw({
    method: 'get',
    path: '/app/assets/htmx.min.js',
    tags,
    summary: 'htmx, served from our own origin (CSP script-src self)',
    responses: { 200: { description: 'The script.', content: { 'text/javascript': { schema: z.string() } } }, 304: { description: 'Not modified.' } },
  });
};
