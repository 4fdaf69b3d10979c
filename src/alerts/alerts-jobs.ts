import type { JobDefinition } from '../lib/job.js';
import type { AlertsService } from './alerts-service.js';

/** Every minute: raise and clear operational alerts, e-mailing OPS_EMAIL once per episode. */
export const opsAlertsJob: JobDefinition<{ alerts: AlertsService }> = {
  name: 'ops-alerts',
  schedule: '* * * * *',
  async run({ alerts }) {
    return alerts.evaluate();
  },
};
