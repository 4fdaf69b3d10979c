import type { ComponentChildren } from 'preact';
import { PublicLayout, renderPage } from '../dashboard/layout.js';
import { ACK_LANGS, ACK_LANGUAGE_NAMES, ACK_MESSAGES, type AckLang } from './incident-ack-messages.js';
import type { AckLinkView } from './incident-notices-service.js';
import { ACK_LINK_PATH } from './incident-notices-service.js';

const utc = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

function Page({ lang, title, token, children }: { lang: AckLang; title: string; token?: string; children: ComponentChildren }) {
  const t = ACK_MESSAGES[lang];
  const href = (l: AckLang) => `${ACK_LINK_PATH}?${new URLSearchParams({ ...(token ? { token } : {}), lang: l }).toString()}`;
  return (
    <PublicLayout
      lang={lang}
      title={title}
      noindex
      languages={{ label: t.languages, links: ACK_LANGS.filter((l) => l !== lang).map((l) => ({ lang: l, name: ACK_LANGUAGE_NAMES[l], href: href(l) })) }}
    >
      <h1 id="page-title">{title}</h1>
      {children}
    </PublicLayout>
  );
}

function IncidentFacts({ lang, view }: { lang: AckLang; view: AckLinkView }) {
  const t = ACK_MESSAGES[lang];
  return (
    <dl>
      <dt>{t.incident}</dt>
      <dd>{view.incident.title}</dd>
      <dt>{t.severity}</dt>
      <dd>{view.incident.severity}</dd>
      <dt>{t.detected}</dt>
      <dd>{utc(view.incident.detected_at)} UTC</dd>
    </dl>
  );
}

/** The link opened: what it is about and the button that acknowledges (GET never does). */
export function ackAskPage(lang: AckLang, token: string, view: AckLinkView): string {
  const t = ACK_MESSAGES[lang];
  return renderPage(
    <Page lang={lang} title={t.title} token={token}>
      <p>{t.intro(view.org_name ?? '—')}</p>
      <IncidentFacts lang={lang} view={view} />
      <p>{t.roles}</p>
      <form method="post" action={ACK_LINK_PATH} aria-labelledby="page-title">
        <input type="hidden" name="lang" value={lang} />
        <input type="hidden" name="token" value={token} />
        <button type="submit">{t.button}</button>
      </form>
      <p class="note">{t.ignore}</p>
    </Page>,
  );
}

/** Acknowledged now, or before (by this link or another way). */
export function ackDonePage(lang: AckLang, view: AckLinkView, already: 'no' | 'acknowledged' | 'used'): string {
  const t = ACK_MESSAGES[lang];
  const at = view.acknowledged_at ? utc(view.acknowledged_at) : '';
  const title = already === 'no' ? t.doneTitle : t.alreadyTitle;
  const text = already === 'no' ? t.done(at) : already === 'used' || !view.acknowledged_at ? t.alreadyUsed : t.already(at);
  return renderPage(
    <Page lang={lang} title={title}>
      <p role="status">{text}</p>
      <IncidentFacts lang={lang} view={view} />
    </Page>,
  );
}

/** A link that cannot be used, or another refusal. */
export function ackProblemPage(lang: AckLang, problem: 'invalid' | 'expired' | 'origin' | 'tooMany' | 'alreadyUsed' | 'error'): string {
  const t = ACK_MESSAGES[lang];
  const title = problem === 'alreadyUsed' ? t.alreadyTitle : problem === 'error' || problem === 'tooMany' ? t.error : t.invalidTitle;
  return renderPage(
    <Page lang={lang} title={title}>
      <p role="alert">{t[problem]}</p>
    </Page>,
  );
}
