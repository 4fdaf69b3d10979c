import type { JobDefinition } from '../lib/job.js';
import type { SubprocessorsService } from './subprocessors-service.js';

/** Daily: e-mail each owner/admin once per announcement; retry failed e-mails; activate due sub-processors. */
export const subprocessorNoticesJob: JobDefinition<{ subprocessors: SubprocessorsService }> = {
  name: 'subprocessor-notices',
  schedule: '0 8 * * *',
  async run({ subprocessors }) {
    return subprocessors.sendNotices();
  },
};
