import { benchAuditedWrite } from './audit-write.bench.js';

/**
 * npm run bench: every figure is a ratio against a baseline measured in the
 * same run (the machine is shared and noisy). BENCH_SECONDS and BENCH_ROUNDS
 * tune the length.
 */
process.env.LOG_LEVEL ??= 'silent';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const audit = await benchAuditedWrite(seconds, rounds);
for (const line of audit.lines) console.log(line);
