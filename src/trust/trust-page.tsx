import { PublicLayout, renderPage } from '../dashboard/layout.js';
import { CONTROLS, type PlatformTrust } from './trust-service.js';

const STATE = { pass: 'Passing', fail: 'Failing', info: 'For information', pending: 'Not yet run' } as const;
const when = (d: Date) => `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(d)} UTC`;

/**
 * GET /trust: the live platform-wide results of every check (counts over all
 * organisations, none named), then what each control is, in plain language.
 */
export function trustPage(result: PlatformTrust): string {
  const failing = result.checks.filter((c) => c.status === 'fail').length;
  const pending = result.checks.filter((c) => c.status === 'pending').length;
  return renderPage(
    <PublicLayout lang="en" title="Trust controls">
      <h1>Trust controls</h1>
      <p>
        How this service protects the personal data of the people who call our customers’ agents. The results below are not written in advance: they are
        read from the database and the job history, for every organisation at once (as counts; no organisation is named), and refreshed at most once every{' '}
        {result.cache_seconds} seconds.
      </p>
      <p class={`summary ${failing ? 'fail' : 'pass'}`} id="trust-summary">
        <strong>{failing ? `${failing} of ${result.checks.length} checks failing.` : `No check is failing (${result.checks.length} checks).`}</strong>
        {pending ? ` ${pending} not yet run: their job has not run since this installation began.` : ''} Checked{' '}
        <time dateTime={result.checked_at.toISOString()}>{when(result.checked_at)}</time>.
      </p>

      <h2>Live results</h2>
      <ul class="checks">
        {result.checks.map((c) => (
          <li class={c.status} id={`check-${c.id}`}>
            <h3>{c.control}</h3>
            <p>
              <span class={`state ${c.status}`}>{STATE[c.status]}</span>: {c.detail}
            </p>
            <p class="checked-at">
              Checked <time dateTime={c.checked_at.toISOString()}>{when(c.checked_at)}</time>
            </p>
          </li>
        ))}
      </ul>
      <p>
        Keypad consent and open security incidents are checked for each organisation only: the first is each organisation’s own setting, and an incident is
        reported to the organisations it affects and to the supervisory authority, not announced here.
      </p>

      <p>
        A check is <em>not yet run</em> when the job it reads has not run yet on a new installation (the daily purge, for instance, first runs at
        03:00 UTC); once that run is overdue, the check fails instead.
      </p>

      <h2>How the controls work</h2>
      <dl>
        {CONTROLS.map((c) => (
          <>
            <dt>
              <strong>{c.control}</strong>
            </dt>
            <dd>{c.description}</dd>
          </>
        ))}
      </dl>
      <p>
        Each customer sees these checks for their own organisation in the dashboard, and at <code>GET /api/orgs/&lt;organisation id&gt;/trust</code>. See
        also the <a href="/subprocessors">sub-processor list</a>.
      </p>
    </PublicLayout>,
  );
}
