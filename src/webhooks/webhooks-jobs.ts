import type { JobDefinition } from '../lib/job.js';
import { runWebhookDeliveries, type WebhookDeliveryDeps } from './webhook-delivery.js';

/** Every minute: the organisations' outgoing webhooks (signed, retried with backoff). */
export const webhookDeliveriesJob: JobDefinition<{ webhookDeliveries: WebhookDeliveryDeps }> = {
  name: 'webhook-deliveries',
  schedule: '* * * * *',
  async run({ webhookDeliveries }) {
    return { ...(await runWebhookDeliveries(webhookDeliveries)) };
  },
};
