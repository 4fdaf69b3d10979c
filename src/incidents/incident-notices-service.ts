import type { AuthContext } from '../auth/auth-middleware.js';
import { SYSTEM_ACTOR, writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { ACK_LINK_DAYS, ackTokenHash, signAckToken, verifyAckToken } from './incident-ack-token.js';
import { noticeMail } from './incident-notice-mail.js';
import * as repo from './incident-notices-repo.js';

/** Art. 33(2): the platform pages each affected organisation every 30 minutes until it acknowledges. */
export const PAGE_EVERY_MINUTES = 30;
/** Notices claimed per batch of a run. */
const BATCH = 25;

/** The public page of an e-mailed acknowledgement link. */
export const ACK_LINK_PATH = '/incidents/acknowledge';

export type AckVia = 'api' | 'dashboard';

/** What the link's page shows (never who else was told, nor the incident's internals). */
export interface AckLinkView {
  incident: { id: string; title: string; severity: string; detected_at: Date };
  org_name: string | null;
  state: 'awaiting_acknowledgement' | 'acknowledged';
  acknowledged_at: Date | null;
  expires_at: Date;
}

export class LinkError extends AppError {
  constructor(reason: 'invalid' | 'expired') {
    super(
      reason === 'expired' ? 410 : 400,
      reason === 'expired' ? 'link_expired' : 'link_invalid',
      reason === 'expired'
        ? 'This acknowledgement link has expired. A newer notice e-mail carries a fresh link; owners and admins can also acknowledge in the dashboard.'
        : 'This acknowledgement link is not valid: please use the link exactly as it was e-mailed.',
    );
  }
}

/**
 * A processor's breach duty (Art. 33(2)): every organisation an incident names
 * is told without undue delay, by e-mail to its privacy contact and its owners
 * (its `incident.opened` webhook is queued by the database as the incident
 * names it), and paged every 30 minutes until it acknowledges, through the
 * e-mailed link (no account needed) or, as an owner or admin, the API or the
 * dashboard. Each notice's time and the acknowledgement are recorded per
 * organisation (public.incident_organizations) and audited.
 */
export function createIncidentNoticesService(deps: {
  serviceDb: ServiceDb;
  userDb: UserDb;
  mailer: Mailer;
  /** The key of the platform's public links (FORGET_ME_SECRET), under its own purpose label here. */
  linkSecret: string;
  publicBaseUrl: string;
  now?: () => Date;
}) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());

  /** One notice (or reminder) to one organisation: a fresh single-use link per recipient. */
  async function page(notice: repo.ClaimedNotice): Promise<'sent' | 'failed' | 'no_recipient'> {
    const at = now();
    const [context] = await repo.findNoticeContext(db, notice.incident_id, notice.org_id);
    if (!context) {
      await repo.markFailed(db, notice.id, 'the incident or the organisation is gone');
      return 'failed';
    }
    const recipients = new Map<string, 'privacy_contact' | 'owner'>();
    if (context.privacy_contact_email) recipients.set(context.privacy_contact_email.toLowerCase(), 'privacy_contact');
    for (const o of await repo.listOwnerAddresses(db, notice.org_id)) {
      if (o.email && !recipients.has(o.email.toLowerCase())) recipients.set(o.email.toLowerCase(), 'owner');
    }
    if (recipients.size === 0) {
      await repo.markNoRecipient(db, notice.id, at, 'no privacy contact and no owner with an e-mail address');
      logger.warn({ incident_id: notice.incident_id, org_id: notice.org_id }, 'incident notice: nobody to e-mail; tried again later');
      return 'no_recipient';
    }
    const expiresAt = new Date(at.getTime() + ACK_LINK_DAYS * 86_400_000);
    let sent = 0;
    let lastError: string | null = null;
    for (const address of recipients.keys()) {
      const token = signAckToken(deps.linkSecret, { noticeId: notice.id, expiresAt: Math.floor(expiresAt.getTime() / 1000) });
      await repo.insertAckToken(db, { hash: ackTokenHash(token), noticeId: notice.id, expiresAt, createdAt: at });
      const mail = noticeMail({
        context,
        incidentId: notice.incident_id,
        orgId: notice.org_id,
        ackUrl: `${deps.publicBaseUrl}${ACK_LINK_PATH}?token=${encodeURIComponent(token)}`,
        linkDays: ACK_LINK_DAYS,
        publicBaseUrl: deps.publicBaseUrl,
        everyMinutes: PAGE_EVERY_MINUTES,
        reminder: notice.pages_sent,
      });
      try {
        await deps.mailer.send({ to: address, ...mail });
        sent += 1;
      } catch (err) {
        lastError = (err as Error).message.slice(0, 300);
      }
    }
    if (sent === 0) {
      await repo.markFailed(db, notice.id, lastError ?? 'not sent');
      logger.warn({ incident_id: notice.incident_id, org_id: notice.org_id }, 'incident notice not sent; retried next run');
      return 'failed';
    }
    await db.begin(async (tx) => {
      await repo.markPaged(tx, notice.id, at, lastError);
      await writeAudit(tx, SYSTEM_ACTOR, {
        orgId: notice.org_id,
        action: notice.notified_at ? 'incident.organization_paged' : 'incident.organization_notified',
        targetType: 'security_incident',
        targetId: notice.incident_id,
        metadata: { recipients: sent, failed: recipients.size - sent, page: notice.pages_sent + 1 },
      });
    });
    return 'sent';
  }

  /** The link token's stored row, after its signature and expiry are checked. */
  async function tokenRow(token: string) {
    const check = verifyAckToken(deps.linkSecret, token, Math.floor(now().getTime() / 1000));
    if (!check.ok) throw new LinkError(check.reason);
    const hash = ackTokenHash(token);
    const [row] = await repo.findAckToken(db, hash);
    // Signed but never issued (or issued for another notice): as good as a forged one.
    if (!row || row.notice_id !== check.claims.noticeId) throw new LinkError('invalid');
    if (row.expires_at.getTime() <= now().getTime()) throw new LinkError('expired');
    return { row, hash };
  }

  function view(row: repo.AckTokenRow, acknowledgedAt: Date | null): AckLinkView {
    return {
      incident: { id: row.incident_id, title: row.title, severity: row.severity, detected_at: row.detected_at },
      org_name: row.org_name,
      state: acknowledgedAt ? 'acknowledged' : 'awaiting_acknowledgement',
      acknowledged_at: acknowledgedAt,
      expires_at: row.expires_at,
    };
  }

  return {
    /**
     * The notice job: tells every organisation an incident names that has not
     * been told yet, and pages again each one not acknowledged 30 minutes after
     * its last page. An e-mail the server refuses is retried on the next run.
     */
    async sendNotices(): Promise<{ sent: number; failed: number; no_recipient: number }> {
      const counts = { sent: 0, failed: 0, no_recipient: 0 };
      const seen = new Set<string>();
      for (;;) {
        const batch = (await repo.claimDueNotices(db, now(), PAGE_EVERY_MINUTES, BATCH)).filter((n) => !seen.has(n.id));
        if (batch.length === 0) break;
        for (const n of batch) {
          seen.add(n.id);
          counts[await page(n)] += 1;
        }
      }
      await repo.deleteExpiredAckTokens(db, new Date(now().getTime() - 30 * 86_400_000));
      return counts;
    },

    /** Operators: each organisation the incident names, when it was told and whether it acknowledged. */
    organizationsOf(incidentId: string) {
      return repo.listIncidentOrganizations(db, incidentId);
    },

    /** Members: the incidents naming the organisation, newest first, with when it was told and acknowledged. */
    async listForOrg(auth: AuthContext, orgId: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return repo.listOrgIncidents(tx, orgId);
      });
    },

    /**
     * Owners and admins: acknowledge a notice. Idempotent (a second call
     * answers with the first acknowledgement); 404 for an incident that does
     * not name the organisation. Audited once, by ids only.
     */
    async acknowledge(auth: AuthContext, orgId: string, incidentId: string, via: AckVia = 'api') {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [before] = await repo.listOrgIncidents(tx, orgId, incidentId);
        if (!before) throw new NotFoundError('No such incident for this organisation.');
        if (!before.acknowledged_at) {
          const recorded = await repo.acknowledgeAsMember(tx, incidentId, orgId, now(), via);
          if (recorded) {
            await writeAudit(tx, auth.actor, { orgId, action: 'incident.acknowledged', targetType: 'security_incident', targetId: incidentId, metadata: { via } });
          }
        }
        const [after] = await repo.listOrgIncidents(tx, orgId, incidentId);
        return after!;
      });
    },

    /** The e-mailed link opened (GET, as mail scanners do): checks it and says what the button would do; changes nothing. */
    async inspectLink(token: string): Promise<AckLinkView & { token_used: boolean }> {
      const { row } = await tokenRow(token);
      return { ...view(row, row.acknowledged_at), token_used: row.used_at !== null };
    },

    /**
     * The link page's button: uses the token up and records the acknowledgement
     * (by 'email_link': the recipient may have no account). A used token, or an
     * organisation that has acknowledged already, gets a 409 that says so.
     */
    async confirmLink(token: string): Promise<AckLinkView> {
      const { row, hash } = await tokenRow(token);
      const result = await db.begin(async (tx) => {
        const at = now();
        if (!(await repo.useAckToken(tx, hash, at))) return { already: true as const };
        const recorded = await repo.acknowledgeByLink(tx, row.notice_id, at);
        if (!recorded) return { already: true as const };
        await writeAudit(tx, { type: 'public' }, {
          orgId: row.org_id,
          action: 'incident.acknowledged',
          targetType: 'security_incident',
          targetId: row.incident_id,
          metadata: { via: 'email_link' },
        });
        return { already: false as const, at };
      });
      if (result.already) throw new AlreadyAcknowledgedError();
      return view(row, result.at);
    },
  };
}

/** The notice was acknowledged before (this link was used, or someone acknowledged another way). */
export class AlreadyAcknowledgedError extends AppError {
  constructor() {
    super(409, 'already_acknowledged', 'This notice has already been acknowledged: nothing more to do.');
  }
}

export type IncidentNoticesService = ReturnType<typeof createIncidentNoticesService>;
