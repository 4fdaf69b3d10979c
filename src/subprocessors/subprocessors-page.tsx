import { languageLinks, PublicLayout, renderPage } from '../dashboard/layout.js';
import type { Lang } from '../dashboard/messages.js';
import { SUBPROCESSORS_MESSAGES, type SubprocessorsMessages } from './subprocessors-messages.js';
import type { SubprocessorsService } from './subprocessors-service.js';

type PublicList = Awaited<ReturnType<SubprocessorsService['publicList']>>;
type Row = PublicList['live'][number];

const date = (d: unknown) => new Date(d as Date | string).toISOString().slice(0, 10);

/** One sub-processor as a card: a definition list, which fits a narrow screen where a wide table would not. */
function Processor({ s, t, withDates }: { s: Row; t: SubprocessorsMessages; withDates: boolean }) {
  return (
    <li>
      <h3>{String(s.name)}</h3>
      <dl>
        <dt>{t.purpose}</dt>
        <dd>{String(s.purpose)}</dd>
        <dt>{t.data}</dt>
        <dd>{(s.data_categories as string[]).join(', ')}</dd>
        <dt>{t.region}</dt>
        <dd>{String(s.region)}</dd>
        <dt>{t.role}</dt>
        <dd>{String(s.role)}</dd>
        <dt>{t.safeguards}</dt>
        <dd>{String(s.safeguards)}</dd>
        {withDates && (
          <>
            <dt>{t.announcedAt}</dt>
            <dd>{date(s.announced_at)}</dd>
            <dt>{t.effectiveAt}</dt>
            <dd>{date(s.effective_at)}</dd>
          </>
        )}
      </dl>
    </li>
  );
}

/**
 * GET /subprocessors: the public list of sub-processors in use and announced,
 * in English, German or Polish (the entries themselves as they were written,
 * in English), with links to the page in the other two.
 */
export function subprocessorsPage(list: PublicList, lang: Lang = 'en'): string {
  const t = SUBPROCESSORS_MESSAGES[lang];
  return renderPage(
    <PublicLayout lang={lang} title={t.title} languages={{ label: t.switchLabel, links: languageLinks(lang, (l) => `/subprocessors?lang=${l}`) }}>
      <h1>{t.heading}</h1>
      <p>
        {t.intro[0]}
        <code>{list.version}</code>
        {t.intro[1]}
        <a href="/subprocessors.json">{t.intro[2]}</a>
        {t.intro[3]}
      </p>
      {t.entriesAsEntered && <p class="hint">{t.entriesAsEntered}</p>}
      <h2>{t.inUse}</h2>
      <ul class="processors" aria-label={t.inUseLabel}>
        {list.live.map((s) => (
          <Processor s={s} t={t} withDates={false} />
        ))}
      </ul>
      <h2>{t.announced}</h2>
      {list.announced.length ? (
        <>
          <p>{t.notice}</p>
          <ul class="processors" aria-label={t.announcedLabel}>
            {list.announced.map((s) => (
              <Processor s={s} t={t} withDates />
            ))}
          </ul>
        </>
      ) : (
        <p>{t.noneAnnounced}</p>
      )}
      <p>
        {t.seeAlso[0]}
        <a href={`/trust?lang=${lang}`}>{t.seeAlso[1]}</a>
        {t.seeAlso[2]}
      </p>
    </PublicLayout>,
  );
}
