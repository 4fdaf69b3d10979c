import type { JobDefinition } from '../jobs/job.js';
import { createIncidentsService } from './incidents-service.js';

/** Every 30 minutes: page the DPO about each incident whose notified_at is empty. */
export const incidentPagingJob: JobDefinition = {
  name: 'incident-paging',
  schedule: '*/30 * * * *',
  async run(ctx) {
    const service = createIncidentsService({
      serviceDb: ctx.serviceDb,
      mailer: ctx.mailer,
      dpoEmail: ctx.config.dpoEmail,
      publicBaseUrl: ctx.config.publicBaseUrl,
      now: ctx.now,
    });
    return service.page();
  },
};
