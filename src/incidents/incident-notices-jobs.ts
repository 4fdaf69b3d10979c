import type { JobDefinition } from '../lib/job.js';
import type { IncidentNoticesService } from './incident-notices-service.js';

/**
 * Every minute: tell each organisation an incident names (its privacy contact
 * and owners), within a minute of it being named, and page again every 30
 * minutes until it acknowledges (Art. 33(2)).
 */
export const incidentNoticesJob: JobDefinition<{ incidentNotices: IncidentNoticesService }> = {
  name: 'incident-notices',
  schedule: '* * * * *',
  async run({ incidentNotices }) {
    return incidentNotices.sendNotices();
  },
};
