import { randomBytes } from 'node:crypto';
import { writeAudit } from '../audit/audit.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError, UnprocessableError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { checkEndpointUrl, type EndpointPolicy } from './endpoint-url.js';
import * as repo from './webhooks-repo.js';

export const WEBHOOK_EVENTS = ['call.completed', 'erasure.completed', 'erasure.partial', 'incident.opened', 'access.completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** An organisation may register this many endpoints. */
export const MAX_ENDPOINTS_PER_ORG = 10;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string;
  created_at: Date;
  updated_at: Date;
}

export interface EndpointInput {
  url: string;
  events: WebhookEvent[];
  description?: string | undefined;
}

/** What a submission of the dashboard's form did: registered the endpoint, or nothing (the form was submitted before). */
export type FormRegistration = { created: WebhookEndpoint & { secret: string } } | { alreadyRegistered: { endpoint: WebhookEndpoint | null } };

/**
 * Customer webhook endpoints (owners and admins), under RLS. The signing secret
 * is generated here, stored, and returned once, in the answer to the create; the
 * users' role cannot read it back (column grants). Deliveries are written by the
 * database (see the customer_webhooks migration) and sent by the
 * webhook-deliveries job.
 */
export function createWebhooksService(deps: { userDb: UserDb; policy: EndpointPolicy }) {
  async function register(auth: AuthContext, orgId: string, input: EndpointInput, formId?: string): Promise<FormRegistration> {
    const url = checkEndpointUrl(input.url, deps.policy);
    const events = [...new Set(input.events)];
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    return deps.userDb.run(auth.claims, async (tx) => {
      await requireOrgRole(tx, orgId, ADMIN_ROLES);
      // Serialise creates per organisation so the cap holds, and so a form submitted
      // twice at once is registered by the first and found by the second.
      await repo.lockEndpointCreates(tx, orgId);
      if (formId !== undefined) {
        const [before] = await repo.findFormSubmission(tx, orgId, formId);
        if (before) {
          const [endpoint] = before.endpoint_id ? await repo.getEndpoint(tx, orgId, before.endpoint_id) : [];
          return { alreadyRegistered: { endpoint: endpoint ?? null } };
        }
      }
      const [{ n }] = (await repo.countEndpoints(tx, orgId)) as unknown as [{ n: number }];
      if (n >= MAX_ENDPOINTS_PER_ORG) {
        throw new UnprocessableError('too_many_endpoints', `An organisation can register at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints.`);
      }
      // The database checks the URL too, strictly unless told (for this transaction only)
      // that this deployment lets endpoints be on private networks (local mode).
      if (deps.policy.allowPrivateNetwork) await repo.allowPrivateNetworkHere(tx);
      const [row] = await repo.insertEndpoint(tx, { orgId, url, events, description: input.description ?? '', secret, createdBy: auth.userId });
      if (formId !== undefined) await repo.recordFormSubmission(tx, orgId, formId, row!.id);
      await writeAudit(tx, auth.actor, {
        orgId,
        action: 'webhook_endpoint.created',
        targetType: 'webhook_endpoint',
        targetId: row!.id,
        metadata: { events },
      });
      return { created: { ...row!, secret } };
    });
  }

  return {
    async list(auth: AuthContext, orgId: string): Promise<WebhookEndpoint[]> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        return repo.listEndpoints(tx, orgId);
      });
    },

    /** Registers an endpoint (the API): the answer carries its signing secret, this once. */
    async create(auth: AuthContext, orgId: string, input: EndpointInput): Promise<WebhookEndpoint & { secret: string }> {
      const outcome = await register(auth, orgId, input);
      if (!('created' in outcome)) throw new Error('A registration without a form cannot have been submitted before.');
      return outcome.created;
    },

    /**
     * Registers an endpoint from the dashboard's form, once per form: `formId`
     * is the form's one-time id. The first submission registers and returns the
     * endpoint with its secret; any later one registers nothing and returns the
     * endpoint the form registered (null when it was deleted since), never the
     * secret.
     */
    async createFromForm(auth: AuthContext, orgId: string, formId: string, input: EndpointInput): Promise<FormRegistration> {
      return register(auth, orgId, input, formId);
    },

    async remove(auth: AuthContext, orgId: string, endpointId: string): Promise<void> {
      await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const deleted = await repo.deleteEndpoint(tx, orgId, endpointId);
        if (deleted.count === 0) throw new NotFoundError('Webhook endpoint not found.');
        await writeAudit(tx, auth.actor, { orgId, action: 'webhook_endpoint.deleted', targetType: 'webhook_endpoint', targetId: endpointId });
      });
    },

    /** The endpoint's most recent deliveries, newest first (what was sent and what came back). */
    async deliveries(auth: AuthContext, orgId: string, endpointId: string, limit: number) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [endpoint] = await repo.findEndpoint(tx, orgId, endpointId);
        if (!endpoint) throw new NotFoundError('Webhook endpoint not found.');
        return repo.listDeliveries(tx, endpointId, limit);
      });
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
