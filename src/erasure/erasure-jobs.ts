import { createUserDb } from '../db/user-db.js';
import type { JobContext, JobDefinition } from '../jobs/job.js';
import { createErasureService } from './erasure-service.js';

function erasureFor(ctx: JobContext) {
  return createErasureService({
    serviceDb: ctx.serviceDb,
    userDb: createUserDb(ctx.serviceDb),
    telephony: ctx.telephony,
    agentPlatform: ctx.agentPlatform,
    mailer: ctx.mailer,
    blindIndexKey: ctx.config.blindIndexKey,
    dpoEmail: ctx.config.dpoEmail,
    publicBaseUrl: ctx.config.publicBaseUrl,
    now: ctx.now,
  });
}

/**
 * Every minute: run confirmed requests a crash left behind, work the provider
 * deletions, complete (and notify) or flag requests, cancel public requests
 * never confirmed.
 */
export const erasureWorkJob: JobDefinition = {
  name: 'erasure-work',
  schedule: '* * * * *',
  async run(ctx) {
    const erasure = erasureFor(ctx);
    const { resumed } = await erasure.resumeConfirmed();
    const worked = await erasure.workProviders();
    const { expired } = await erasure.expireUnconfirmed();
    return { resumed, ...worked, expired };
  },
};

/** Hourly: page the DPO about requests within five days of their deadline. */
export const erasureDeadlinesJob: JobDefinition = {
  name: 'erasure-deadlines',
  schedule: '17 * * * *',
  async run(ctx) {
    return erasureFor(ctx).pageDueSoon();
  },
};
