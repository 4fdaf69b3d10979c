import type { JobDefinition } from '../lib/job.js';
import type { IncidentsService } from './incidents-service.js';

/** Every 30 minutes: page the DPO about each incident whose notified_at is empty. */
export const incidentPagingJob: JobDefinition<{ incidents: IncidentsService }> = {
  name: 'incident-paging',
  schedule: '*/30 * * * *',
  async run({ incidents }) {
    return incidents.page();
  },
};
