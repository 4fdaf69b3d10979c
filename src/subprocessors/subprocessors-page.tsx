import { PublicLayout, renderPage } from '../dashboard/layout.js';
import type { SubprocessorsService } from './subprocessors-service.js';

type PublicList = Awaited<ReturnType<SubprocessorsService['publicList']>>;
type Row = PublicList['live'][number];

const date = (d: unknown) => new Date(d as Date | string).toISOString().slice(0, 10);

/** One sub-processor as a card: a definition list, which fits a narrow screen where a wide table would not. */
function Processor({ s, withDates }: { s: Row; withDates: boolean }) {
  return (
    <li>
      <h3>{String(s.name)}</h3>
      <dl>
        <dt>Purpose</dt>
        <dd>{String(s.purpose)}</dd>
        <dt>Data</dt>
        <dd>{(s.data_categories as string[]).join(', ')}</dd>
        <dt>Region</dt>
        <dd>{String(s.region)}</dd>
        <dt>Role</dt>
        <dd>{String(s.role)}</dd>
        <dt>Safeguards</dt>
        <dd>{String(s.safeguards)}</dd>
        {withDates && (
          <>
            <dt>Announced</dt>
            <dd>{date(s.announced_at)}</dd>
            <dt>Takes effect</dt>
            <dd>{date(s.effective_at)}</dd>
          </>
        )}
      </dl>
    </li>
  );
}

/** GET /subprocessors: the public list of sub-processors in use and announced. */
export function subprocessorsPage(list: PublicList): string {
  return renderPage(
    <PublicLayout lang="en" title="Sub-processors">
      <h1>Sub-processors</h1>
      <p>
        These companies process personal data on our behalf (GDPR Art. 28). List version <code>{list.version}</code>; also as <a href="/subprocessors.json">JSON</a>.
      </p>
      <h2>In use</h2>
      <ul class="processors" aria-label="Sub-processors in use">
        {list.live.map((s) => (
          <Processor s={s} withDates={false} />
        ))}
      </ul>
      <h2>Announced</h2>
      {list.announced.length ? (
        <>
          <p>Customers are told at least 30 days before a new sub-processor takes effect and may object.</p>
          <ul class="processors" aria-label="Sub-processors announced">
            {list.announced.map((s) => (
              <Processor s={s} withDates />
            ))}
          </ul>
        </>
      ) : (
        <p>None announced.</p>
      )}
      <p>
        See also the <a href="/trust">trust controls</a>.
      </p>
    </PublicLayout>,
  );
}
