import type { ServiceDb } from '../db/database.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import { queueDepths } from '../metrics/metrics-repo.js';
import * as repo from './alerts-repo.js';

/** A condition holding now: its name (a kind, and for jobs the job's name) and counts for the e-mail. */
export interface HoldingCondition {
  condition: string;
  details: Record<string, number>;
}

/**
 * One kind of alert: which of its conditions hold at `now`. Adding an alert is
 * adding one of these to ALERT_CONDITIONS (or passing it to the service).
 */
export interface AlertCondition {
  kind: string;
  /** What the e-mail's subject says, given the condition's name. */
  title(condition: string): string;
  /** What the operator should look at, for the e-mail's body. */
  advice: string;
  /** The DPO is told too (DPO_EMAIL), not only ops: the condition touches personal data kept longer than planned. */
  notifyDpo?: boolean;
  holding(db: ServiceDb, now: Date): Promise<HoldingCondition[]>;
}

/** The service's alert conditions. */
export const ALERT_CONDITIONS: AlertCondition[] = [
  {
    kind: 'job_failing',
    title: (c) => `Job ${c.slice('job_failing:'.length)} failed three runs in a row`,
    advice: 'See the job_runs table (error column) or the log lines "job failed"; `npm run job -- <name>` runs it once by hand.',
    async holding(db, now) {
      const rows = await repo.jobsFailingThreeTimes(db, now);
      return rows.map((r) => ({ condition: `job_failing:${r.job_name}`, details: { failed_runs_in_a_row: 3 } }));
    },
  },
  {
    kind: 'provider_deletions_failed',
    title: () => 'Deletions at Twilio or ElevenLabs marked failed',
    advice: 'A recording, conversation or agent could not be deleted at the provider after every retry: see the provider_deletions rows with status failed (last_error), fix the cause, then set them back to pending.',
    async holding(db, now) {
      const d = await queueDepths(db, now);
      return d.provider_deletions_failed > 0 ? [{ condition: 'provider_deletions_failed', details: { failed: d.provider_deletions_failed } }] : [];
    },
  },
  {
    kind: 'webhook_deliveries_failed',
    title: () => 'Customer webhook deliveries marked failed',
    advice: 'A customer endpoint refused or did not answer every retry: see the webhook_deliveries rows with status failed (last_status, last_error).',
    async holding(db, now) {
      const d = await queueDepths(db, now);
      return d.webhook_deliveries_failed > 0 ? [{ condition: 'webhook_deliveries_failed', details: { failed: d.webhook_deliveries_failed } }] : [];
    },
  },
  {
    kind: 'recording_uploads_failed',
    title: () => "Recording deliveries to customers' storage marked failed",
    advice:
      "A recording could not be delivered to its organisation's own storage after every retry (store down, access denied or checksum mismatch); Twilio's copy is kept meanwhile. See app.recording_deliveries rows with status failed (last_error names the step), fix the cause with the customer, then set them back to pending.",
    notifyDpo: true,
    async holding(db, now) {
      const d = await queueDepths(db, now);
      return d.recording_deliveries_failed > 0 ? [{ condition: 'recording_uploads_failed', details: { failed: d.recording_deliveries_failed } }] : [];
    },
  },
  {
    kind: 'erasure_requests_overdue',
    title: () => 'Erasure requests past their deadline',
    advice: 'GDPR Art. 12(3): a request must be answered within one month (or extended with reasons). See the erasure_requests rows still open past due_at / extended_until.',
    async holding(db, now) {
      const d = await queueDepths(db, now);
      return d.erasure_requests_overdue > 0 ? [{ condition: 'erasure_requests_overdue', details: { overdue: d.erasure_requests_overdue } }] : [];
    },
  },
];

export interface AlertsServiceDeps {
  serviceDb: ServiceDb;
  mailer: Mailer;
  /** OPS_EMAIL (default DPO_EMAIL). */
  opsEmail: string;
  /** DPO_EMAIL: also told about the conditions that say so (notifyDpo). */
  dpoEmail?: string;
  now: () => Date;
  conditions?: AlertCondition[];
  /** Counts each new episode (metrics). */
  onRaised?: (condition: string) => void;
}

export type AlertsService = ReturnType<typeof createAlertsService>;

/**
 * Operational alerts. Each run finds the conditions that hold, opens an
 * episode for each new one and e-mails OPS_EMAIL once about it, and closes the
 * episodes whose condition has cleared; a condition that returns later is a
 * new episode with a new e-mail. An e-mail that cannot be sent is tried again
 * on the next run, never dropped.
 */
export function createAlertsService(deps: AlertsServiceDeps) {
  const conditions = deps.conditions ?? ALERT_CONDITIONS;
  const kindOf = (condition: string) => conditions.find((c) => condition === c.kind || condition.startsWith(`${c.kind}:`));

  async function evaluate(): Promise<{ holding: number; raised: number; cleared: number; notified: number; notify_failed: number }> {
    const now = deps.now();
    const holding: HoldingCondition[] = [];
    for (const c of conditions) holding.push(...(await c.holding(deps.serviceDb, now)));
    const holds = new Map(holding.map((h) => [h.condition, h.details]));

    let raised = 0;
    let cleared = 0;
    await deps.serviceDb.begin(async (tx) => {
      const open = await repo.openAlerts(tx);
      const openByCondition = new Map(open.map((a) => [a.condition, a]));
      for (const [condition, details] of holds) {
        const current = openByCondition.get(condition);
        if (current) {
          await repo.refreshAlertDetails(tx, current.id, details);
          continue;
        }
        const [row] = await repo.openAlert(tx, condition, details, now);
        if (row) {
          raised += 1;
          deps.onRaised?.(condition);
        }
      }
      for (const a of open) {
        // Only conditions of kinds this service evaluates are cleared (another version may know more kinds).
        if (!holds.has(a.condition) && kindOf(a.condition)) {
          await repo.clearAlert(tx, a.id, now);
          cleared += 1;
        }
      }
    });

    let notified = 0;
    let notifyFailed = 0;
    for (const a of await repo.openAlerts(deps.serviceDb)) {
      if (a.notified_at) continue;
      const sent = await deps.serviceDb.begin(async (tx) => {
        const [locked] = await repo.lockUnnotified(tx, a.id);
        if (!locked) return 'skipped' as const;
        const kind = kindOf(locked.condition);
        try {
          const recipients = kind?.notifyDpo && deps.dpoEmail && deps.dpoEmail !== deps.opsEmail ? [deps.opsEmail, deps.dpoEmail] : [deps.opsEmail];
          await deps.mailer.send({
            to: recipients.join(', '),
            subject: `[alert] ${kind ? kind.title(locked.condition) : locked.condition}`,
            text: [
              `${kind ? kind.title(locked.condition) : locked.condition}.`,
              '',
              `Condition: ${locked.condition}`,
              `Holding since: ${locked.opened_at.toISOString()}`,
              `Details: ${Object.entries(locked.details).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
              '',
              kind?.advice ?? '',
              '',
              'This e-mail is sent once. Another one about this condition comes only after it has cleared and returned.',
            ].join('\n'),
          });
        } catch (err) {
          await repo.countNotifyAttempt(tx, locked.id);
          logger.warn({ condition: locked.condition, err_name: (err as Error).name }, 'alert e-mail not sent; retried on the next run');
          return 'failed' as const;
        }
        await repo.markNotified(tx, locked.id, deps.now());
        return 'sent' as const;
      });
      if (sent === 'sent') notified += 1;
      if (sent === 'failed') notifyFailed += 1;
    }
    return { holding: holds.size, raised, cleared, notified, notify_failed: notifyFailed };
  }

  return {
    evaluate,
    /** The alerts open now (for metrics and the trust checks): conditions and counts, no personal data. */
    open: () => repo.openAlerts(deps.serviceDb),
  };
}
