import type { JobDefinition } from '../lib/job.js';
import type { ErasureService } from './erasure-service.js';

/**
 * Every minute: run confirmed requests a crash left behind, work the provider
 * deletions, complete (and notify) or flag requests, cancel public requests
 * never confirmed.
 */
export const erasureWorkJob: JobDefinition<{ erasure: ErasureService }> = {
  name: 'erasure-work',
  schedule: '* * * * *',
  async run({ erasure }) {
    const { resumed } = await erasure.resumeConfirmed();
    const worked = await erasure.workProviders();
    const { expired } = await erasure.expireUnconfirmed();
    return { resumed, ...worked, expired };
  },
};

/** Hourly: page the DPO about requests within five days of their deadline. */
export const erasureDeadlinesJob: JobDefinition<{ erasure: ErasureService }> = {
  name: 'erasure-deadlines',
  schedule: '17 * * * *',
  async run({ erasure }) {
    return erasure.pageDueSoon();
  },
};
