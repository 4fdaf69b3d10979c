import { CONTROL_TEXTS, detailText, type ControlId } from '../trust/trust-messages.js';
import type { TrustCheck } from '../trust/trust-service.js';
import { Layout, type PageContext } from './layout.js';
import { ORG_TRUST_MESSAGES, type OrgTrustMessages } from './org-trust-messages.js';

/** What the trust service answers for one organisation (the API's GET /api/orgs/:orgId/trust). */
export interface OrgTrustReport {
  checked_at: Date;
  passing: boolean;
  checks: TrustCheck[];
}

function when(d: Date | string): string {
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function stateText(m: OrgTrustMessages, status: TrustCheck['status']): string {
  return status === 'pass' ? m.statePass : status === 'fail' ? m.stateFail : status === 'pending' ? m.statePending : m.stateInfo;
}

/**
 * The organisation's live control checks, one per control: its name, whether it
 * passes (in words; the colour only repeats it), the check's details and when
 * it ran. Every member may read it.
 */
export function OrgTrustPage({ ctx, orgName, report }: { ctx: PageContext; orgName: string; report: OrgTrustReport }) {
  const m = ORG_TRUST_MESSAGES[ctx.lang];
  const failing = report.checks.filter((c) => c.status === 'fail').length;
  const pending = report.checks.filter((c) => c.status === 'pending').length;
  const checkedAt = m.checkedAt.replace('{time}', when(report.checked_at));
  return (
    <Layout ctx={ctx} title={`${m.trustTitle}: ${orgName}`}>
      <p>{m.trustIntro}</p>
      <p class={failing ? 'notice trust-summary-fail' : 'notice trust-summary-pass'}>
        <strong>{failing ? m.someFail.replace('{n}', String(failing)).replace('{total}', String(report.checks.length)) : pending ? m.allRunPass : m.allPass}</strong>
        {pending ? ` ${m.somePending.replace('{n}', String(pending))}` : ''} {checkedAt}
      </p>
      <ul class="trust-checks">
        {report.checks.map((c) => (
          <li class={`trust-check trust-${c.status}`}>
            <h2 id={`check-${c.id}`}>{CONTROL_TEXTS[ctx.lang][c.id as ControlId]?.control ?? c.control}</h2>
            <dl>
              <dt>{m.stateLabel}</dt>
              <dd>
                <strong>{stateText(m, c.status)}</strong>
              </dd>
              <dt>{m.checkedLabel}</dt>
              <dd>{when(report.checked_at)}</dd>
            </dl>
            <p>{detailText(ctx.lang, c.details)}</p>
          </li>
        ))}
      </ul>
      <p>
        <a href="/trust">{m.publicList}</a>
      </p>
    </Layout>
  );
}
