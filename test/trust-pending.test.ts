import { h } from 'preact';
import { render } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertsService, type AlertCondition } from '../src/alerts/alerts-service.js';
import { writeAudit } from '../src/audit/audit.js';
import { OrgTrustPage } from '../src/dashboard/org-trust-page.js';
import { MESSAGES } from '../src/dashboard/messages.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import type { Mailer } from '../src/lib/mailer.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { trustPage } from '../src/trust/trust-page.js';
import {
  CONTROLS,
  createTrustService,
  OPS_ALERTS_MAX_AGE_MINUTES,
  PURGE_MAX_AGE_HOURS,
  TRUST_STATUSES,
  type PlatformCheck,
  type TrustCheck,
} from '../src/trust/trust-service.js';
import { buildTestApp, createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

let db: ServiceDb;
let deps: ReturnType<typeof buildTestApp>['deps'];
const config = testConfig();
let org: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ deps } = buildTestApp(db, config));
  org = await createOrg(db, config);
  await writeAudit(db, { type: 'system' }, { orgId: org.id, action: 'test.event' });
});
afterAll(async () => {
  await db.end();
});

const byId = <T extends TrustCheck>(checks: T[], id: string) => checks.find((c) => c.id === id)!;

/**
 * Sets the database up in a transaction (as a fresh installation, or with some
 * job history), reads the organisation's and the platform's checks there, and
 * rolls everything back. `hoursLater` moves the clock.
 */
async function checksIn(setUp: (tx: Tx) => Promise<unknown>, hoursLater = 0): Promise<{ org: TrustCheck[]; platform: PlatformCheck[] }> {
  const now = () => new Date(Date.now() + hoursLater * 3_600_000);
  const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors, now });
  let result = { org: [] as TrustCheck[], platform: [] as PlatformCheck[] };
  await db
    .begin(async (tx) => {
      await setUp(tx as unknown as Tx);
      result = { org: await trust.checks(tx as unknown as Tx, org.id), platform: await trust.platformChecks(tx as unknown as Tx) };
      throw new Error('rollback');
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err;
    });
  return result;
}

/** A fresh installation: no job has run, no alert was ever raised, installed a minute ago. */
async function fresh(tx: Tx): Promise<void> {
  await tx`delete from public.job_runs`;
  await tx`delete from app.ops_alerts`;
  await tx`update app.installation set installed_at = now() - interval '1 minute'`;
}

async function run(tx: Tx, job: string, status: 'succeeded' | 'failed', finishedAgo: string): Promise<void> {
  await tx`
    insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
    values (${job}, now() - ${finishedAgo}::interval - interval '1 second' + make_interval(secs => ${Math.random()}), 'test', ${status},
            now() - ${finishedAgo}::interval - interval '1 second', now() - ${finishedAgo}::interval, '{}')`;
}

describe('trust checks that have not run yet say so', () => {
  it('the statuses are pass, fail, info and pending; every control is described', () => {
    expect([...TRUST_STATUSES]).toEqual(['pass', 'fail', 'info', 'pending']);
    expect(CONTROLS.map((c) => c.id)).toContain('ops_alerts');
  });

  it('fresh database: the purge check is pending with "not yet run", and nothing fails for it', async () => {
    const { org: checks, platform } = await checksIn(fresh);
    for (const c of [byId(checks, 'retention'), byId(platform, 'retention')]) {
      expect(c.status, c.detail).toBe('pending');
      expect(c.detail.toLowerCase()).toContain('not yet run');
      expect(c.evidence).toMatchObject({ last_purge_finished_at: null });
    }
    expect(byId(checks, 'retention').detail).toMatch(/^Window 30 days; not yet run: the daily purge \(03:00 UTC\)/);
  });

  it('after a successful purge run: pass', async () => {
    const { org: checks, platform } = await checksIn(async (tx) => {
      await fresh(tx);
      await run(tx, 'retention-purge', 'succeeded', '5 minutes');
    });
    expect(byId(checks, 'retention').status).toBe('pass');
    expect(byId(platform, 'retention').status).toBe('pass');
    expect(byId(checks, 'retention').detail).toContain('last finished 0.1 hours ago');
  });

  it('after the purge has been stale too long: fail', async () => {
    const { org: checks, platform } = await checksIn(async (tx) => {
      await fresh(tx);
      await run(tx, 'retention-purge', 'succeeded', '5 minutes');
    }, PURGE_MAX_AGE_HOURS + 1);
    for (const c of [byId(checks, 'retention'), byId(platform, 'retention')]) {
      expect(c.status).toBe('fail');
      expect(c.detail).toContain('not running');
    }
  });

  it('a purge that has never run once its first run is long overdue fails, and one whose runs all failed fails', async () => {
    const never = await checksIn(fresh, PURGE_MAX_AGE_HOURS + 1);
    expect(byId(never.org, 'retention').status).toBe('fail');
    expect(byId(never.org, 'retention').detail).toMatch(/has never run in the .* since this installation began: it is not running/);
    const failed = await checksIn(async (tx) => {
      await fresh(tx);
      await run(tx, 'retention-purge', 'failed', '1 hour');
    });
    expect(byId(failed.platform, 'retention').status).toBe('fail');
    expect(byId(failed.platform, 'retention').detail).toContain('never completed');
  });

  it('an audit chain the verification job has not yet run for is pending, and fails once the job is overdue', async () => {
    const many = async (tx: Tx) => {
      await fresh(tx);
      await tx`delete from public.audit_chain_checkpoints`;
      await tx`
        insert into public.audit_logs (org_id, actor_type, action, metadata)
        select ${org.id}, 'system', 'test.bulk', jsonb_build_object('i', i) from generate_series(1, 60) as i`;
    };
    const { org: checks, platform } = await checksIn(many);
    expect(byId(checks, 'audit_chain').status, byId(checks, 'audit_chain').detail).toBe('pending');
    expect(byId(checks, 'audit_chain').detail).toContain('Not yet run');
    expect(byId(platform, 'audit_chain').status, byId(platform, 'audit_chain').detail).toBe('pending');
    const overdue = await checksIn(many, 1);
    expect(byId(overdue.org, 'audit_chain').status).toBe('fail');
    expect(byId(overdue.platform, 'audit_chain').status).toBe('fail');
  });
});

describe('open operational alerts show in the trust checks', () => {
  it('pending before the alerts job has run; pass when it ran and nothing is open', async () => {
    const before = await checksIn(fresh);
    for (const c of [byId(before.org, 'ops_alerts'), byId(before.platform, 'ops_alerts')]) {
      expect(c.status).toBe('pending');
      expect(c.detail).toContain('Not yet run');
    }
    const ran = await checksIn(async (tx) => {
      await fresh(tx);
      await run(tx, 'ops-alerts', 'succeeded', '30 seconds');
    });
    for (const c of [byId(ran.org, 'ops_alerts'), byId(ran.platform, 'ops_alerts')]) {
      expect(c.status, c.detail).toBe('pass');
      expect(c.evidence).toMatchObject({ open: 0 });
    }
  });

  it('fail while any condition is open, naming the kinds (never a job, an id or an organisation); pass again once cleared', async () => {
    const withAlerts = async (tx: Tx) => {
      await fresh(tx);
      await run(tx, 'ops-alerts', 'succeeded', '30 seconds');
      await tx`
        insert into app.ops_alerts (condition, opened_at, details) values
          ('job_failing:retention-purge', now() - interval '10 minutes', '{"failed_runs_in_a_row": 3}'),
          ('job_failing:webhook-deliveries', now() - interval '5 minutes', '{"failed_runs_in_a_row": 3}'),
          ('erasure_requests_overdue', now() - interval '2 minutes', '{"overdue": 1}')`;
    };
    const { org: checks, platform } = await checksIn(withAlerts);
    for (const c of [byId(checks, 'ops_alerts'), byId(platform, 'ops_alerts')]) {
      expect(c.status).toBe('fail');
      expect(c.detail).toContain('3 alert condition(s) open: ');
      expect(c.detail).toContain('job_failing (2)');
      expect(c.detail).toContain('erasure_requests_overdue');
      expect(c.detail).not.toContain('retention-purge');
      expect(c.evidence).toMatchObject({ open: 3, open_by_kind: { job_failing: 2, erasure_requests_overdue: 1 } });
    }
    const cleared = await checksIn(async (tx) => {
      await withAlerts(tx);
      await tx`update app.ops_alerts set cleared_at = now() where cleared_at is null`;
    });
    expect(byId(cleared.org, 'ops_alerts').status).toBe('pass');
  });

  it('fails when the alerts job has stopped', async () => {
    const { platform } = await checksIn(async (tx) => {
      await fresh(tx);
      await run(tx, 'ops-alerts', 'succeeded', `${OPS_ALERTS_MAX_AGE_MINUTES + 5} minutes`);
    });
    expect(byId(platform, 'ops_alerts').status).toBe('fail');
    expect(byId(platform, 'ops_alerts').detail).toContain('not running');
  });

  it('metrics count the open alerts per kind', async () => {
    const metrics = createMetrics({
      serviceDb: db,
      now: () => new Date(),
      openAlerts: async () => [{ condition: 'job_failing:a' }, { condition: 'job_failing:b' }, { condition: 'erasure_requests_overdue' }],
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('voice_gdpr_alerts_open_by_kind{kind="job_failing"} 2');
    expect(text).toContain('voice_gdpr_alerts_open_by_kind{kind="erasure_requests_overdue"} 1');
  });
});

describe('a new alert condition is one entry', () => {
  it('raised and e-mailed once, counted in metrics and named in the trust checks, with no other change', async () => {
    let failing = 2;
    const kind = `recording_uploads_failing_${Date.now()}`;
    // What the customer-storage feature adds to ALERT_CONDITIONS (here passed to the service).
    const uploads: AlertCondition = {
      kind,
      title: () => 'Recording uploads to customer storage failing',
      advice: 'See the failing uploads and retry them.',
      holding: async () => (failing ? [{ condition: kind, details: { failing } }] : []),
    };
    const sent: { subject: string }[] = [];
    const mailer: Mailer = { send: async (m) => void sent.push(m) };
    const alerts = createAlertsService({ serviceDb: db, mailer, opsEmail: 'ops@voice.example.test', now: () => new Date(), conditions: [uploads] });
    const metrics = createMetrics({ serviceDb: db, now: () => new Date(), openAlerts: alerts.open });
    const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors });
    try {
      expect(await alerts.evaluate()).toMatchObject({ raised: 1, notified: 1 });
      expect(await alerts.evaluate()).toMatchObject({ raised: 0, notified: 0 });
      expect(sent.map((m) => m.subject)).toEqual(['[alert] Recording uploads to customer storage failing']);
      expect(await metrics.registry.metrics()).toContain(`voice_gdpr_alerts_open_by_kind{kind="${kind}"} 1`);
      const check = byId(await trust.platformChecks(db), 'ops_alerts');
      expect(check.status).toBe('fail');
      expect(check.detail).toContain(kind);
      expect(byId(await trust.checks(db, org.id), 'ops_alerts').detail).toContain(kind);
    } finally {
      failing = 0;
      expect(await alerts.evaluate()).toMatchObject({ cleared: 1 });
    }
    expect(byId(await trust.platformChecks(db), 'ops_alerts').detail).not.toContain(kind);
  });
});

describe('pending on the pages', () => {
  it('/trust shows "Not yet run" in words and counts it in the summary, and passing stays true', async () => {
    const { platform } = await checksIn(fresh);
    const checks = platform.filter((c) => c.id !== 'ops_alerts' || c.status !== 'fail');
    const pending = checks.filter((c) => c.status === 'pending').length;
    expect(pending).toBeGreaterThanOrEqual(2);
    const html = trustPage({ checked_at: new Date(), passing: checks.every((c) => c.status !== 'fail'), checks, cache_seconds: 60 });
    expect(html).toContain('<li class="pending" id="check-retention">');
    expect(html).toContain('<span class="state pending">Not yet run</span>: ');
    expect(html).toContain(`${pending} not yet run`);
  });

  it('the organisation’s trust page says it in English, German and Polish', async () => {
    const { org: checks } = await checksIn(fresh);
    const report = { checked_at: new Date(), passing: true, checks: checks.filter((c) => c.status !== 'fail') };
    const words = { en: ['Not yet run', 'Operational alerts'], de: ['Noch nicht gelaufen', 'Betriebswarnungen'], pl: ['Jeszcze nie uruchomiono', 'Alerty operacyjne'] } as const;
    for (const lang of ['en', 'de', 'pl'] as const) {
      const ctx = { lang, t: MESSAGES[lang], csrf: 'x', here: `/app/orgs/${org.id}/trust`, orgId: org.id, session: { orgs: [] } };
      const html = render(h(OrgTrustPage, { ctx, orgName: 'Org', report }));
      expect(html).toContain('trust-check trust-pending');
      for (const w of words[lang]) expect(html, lang).toContain(w);
    }
  });
});
