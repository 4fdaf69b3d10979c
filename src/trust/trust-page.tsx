import { languageLinks, PublicLayout, renderPage } from '../dashboard/layout.js';
import type { Lang } from '../dashboard/messages.js';
import { CONTROL_TEXTS, detailText, TRUST_LOCALE, TRUST_PAGE, type ControlId } from './trust-messages.js';
import { CONTROLS, type PlatformTrust } from './trust-service.js';

const when = (lang: Lang, d: Date) => `${new Intl.DateTimeFormat(TRUST_LOCALE[lang], { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(d)} UTC`;
const control = (lang: Lang, id: string) => CONTROL_TEXTS[lang][id as ControlId];

/**
 * GET /trust: the live platform-wide results of every check (counts over all
 * organisations, none named), then what each control is, in plain language;
 * in English, German or Polish, with links to the page in the other two.
 */
export function trustPage(result: PlatformTrust, lang: Lang = 'en'): string {
  const t = TRUST_PAGE[lang];
  const failing = result.checks.filter((c) => c.status === 'fail').length;
  const pending = result.checks.filter((c) => c.status === 'pending').length;
  return renderPage(
    <PublicLayout lang={lang} title={t.title} languages={{ label: t.switchLabel, links: languageLinks(lang, (l) => `/trust?lang=${l}`) }}>
      <h1>{t.heading}</h1>
      <p>{t.intro(result.cache_seconds)}</p>
      <p class={`summary ${failing ? 'fail' : 'pass'}`} id="trust-summary">
        <strong>{failing ? t.failing(failing, result.checks.length) : t.noneFailing(result.checks.length)}</strong>
        {pending ? ` ${t.pending(pending)}` : ''} {t.checked} <time dateTime={result.checked_at.toISOString()}>{when(lang, result.checked_at)}</time>.
      </p>

      <h2>{t.liveResults}</h2>
      <ul class="checks">
        {result.checks.map((c) => (
          <li class={c.status} id={`check-${c.id}`}>
            <h3>{control(lang, c.id)?.control ?? c.control}</h3>
            <p>
              <span class={`state ${c.status}`}>{t.state[c.status]}</span>: {detailText(lang, c.details)}
            </p>
            <p class="checked-at">
              {t.checked} <time dateTime={c.checked_at.toISOString()}>{when(lang, c.checked_at)}</time>
            </p>
          </li>
        ))}
      </ul>
      <p>{t.perOrganisation}</p>

      <p>
        {t.notYetRun[0]}
        <em>{t.notYetRun[1]}</em>
        {t.notYetRun[2]}
      </p>

      <h2>{t.howTitle}</h2>
      <dl>
        {CONTROLS.map((c) => (
          <>
            <dt>
              <strong>{control(lang, c.id)?.control ?? c.control}</strong>
            </dt>
            <dd>{control(lang, c.id)?.description ?? c.description}</dd>
          </>
        ))}
      </dl>
      <p>
        {t.ownChecks[0]}
        <code>{t.apiPath}</code>
        {t.ownChecks[1]}
        <a href={`/subprocessors?lang=${lang}`}>{t.ownChecks[2]}</a>
        {t.ownChecks[3]}
      </p>
    </PublicLayout>,
  );
}
