import type { JobDefinition } from '../lib/job.js';
import type { ErasureService } from './erasure-service.js';

/**
 * Every minute: run confirmed requests a crash left behind, carry out the
 * erasures legal holds kept back once the hold has ended, work the provider
 * deletions, complete (and notify) or flag requests, cancel public requests
 * never confirmed.
 */
export const erasureWorkJob: JobDefinition<{ erasure: ErasureService }> = {
  name: 'erasure-work',
  schedule: '* * * * *',
  async run({ erasure }) {
    const { resumed } = await erasure.resumeConfirmed();
    const { released } = await erasure.releaseHeld();
    const worked = await erasure.workProviders();
    const { expired } = await erasure.expireUnconfirmed();
    return { resumed, released, ...worked, expired };
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
