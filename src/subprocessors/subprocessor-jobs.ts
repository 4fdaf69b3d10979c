import { createUserDb } from '../db/user-db.js';
import type { JobDefinition } from '../jobs/job.js';
import { createSubprocessorsService } from './subprocessors-service.js';

/** Daily: e-mail each owner/admin once per announcement; retry failed e-mails; activate due sub-processors. */
export const subprocessorNoticesJob: JobDefinition = {
  name: 'subprocessor-notices',
  schedule: '0 8 * * *',
  async run(ctx) {
    return createSubprocessorsService({
      serviceDb: ctx.serviceDb,
      userDb: createUserDb(ctx.serviceDb),
      mailer: ctx.mailer,
      publicBaseUrl: ctx.config.publicBaseUrl,
      now: ctx.now,
    }).sendNotices();
  },
};
