import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { HtmxHead } from './htmx.js';
import { CSRF_FIELD } from './session.js';
import { LANGUAGE_NAMES, LANGUAGES, type Lang, type Messages } from './messages.js';

/** What every dashboard page knows about the request it answers. */
export interface PageContext {
  lang: Lang;
  t: Messages;
  /** This browser's CSRF token, for every form on the page. */
  csrf: string;
  /** The path and query of this page, to come back to after switching language. */
  here: string;
  /** Present when someone is signed in: their organisations, for the switcher. */
  session?: { email?: string; isOperator?: boolean; orgs: { id: string; name: string }[] };
  /** The organisation the page is about, if any. */
  orgId?: string;
}

/** The hidden field that carries the CSRF token; every form that POSTs has one. */
export function CsrfField({ ctx }: { ctx: PageContext }) {
  return <input type="hidden" name={CSRF_FIELD} value={ctx.csrf} />;
}

function LanguageSwitch({ ctx }: { ctx: PageContext }) {
  return (
    <form method="post" action="/app/language" class="inline-form">
      <CsrfField ctx={ctx} />
      <input type="hidden" name="next" value={ctx.here} />
      <label for="lang-select">{ctx.t.language}</label>
      <select id="lang-select" name="lang">
        {LANGUAGES.map((l) => (
          <option value={l} selected={l === ctx.lang} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
      <button type="submit">{ctx.t.change}</button>
    </form>
  );
}

function OrgSwitch({ ctx }: { ctx: PageContext }) {
  const orgs = ctx.session?.orgs ?? [];
  if (orgs.length === 0) return null;
  return (
    <form method="get" action="/app/switch" class="inline-form">
      <label for="org-select">{ctx.t.organisation}</label>
      <select id="org-select" name="org">
        {orgs.map((o) => (
          <option value={o.id} selected={o.id === ctx.orgId}>
            {o.name}
          </option>
        ))}
      </select>
      <button type="submit">{ctx.t.switchOrg}</button>
    </form>
  );
}

/**
 * A table that may scroll sideways on a narrow screen: a labelled region that
 * takes keyboard focus, so it can be scrolled without a mouse.
 */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}

/** The organisation's pages, in the order of the navigation: path under /app/orgs/:orgId/ and its label. */
const ORG_PAGES = [
  ['calls', 'navCalls'],
  ['agents', 'navAgents'],
  ['leads', 'navLeads'],
  ['members', 'navMembers'],
  ['privacy', 'navPrivacy'],
  ['erasure-requests', 'navErasure'],
  ['legal-holds', 'navLegalHolds'],
  ['exports', 'navExports'],
  ['activity', 'navActivity'],
  ['webhooks', 'navWebhooks'],
  ['recording-storage', 'navRecordingStorage'],
  ['trust', 'navTrust'],
  ['subprocessors', 'navSubprocessors'],
  ['incidents', 'navOrgIncidents'],
] as const satisfies readonly (readonly [string, keyof Messages])[];

/** The platform operators' pages under /app/admin/. */
const ADMIN_PAGES = [
  ['incidents', 'navIncidents'],
  ['subprocessors', 'navSubprocessors'],
] as const satisfies readonly (readonly [string, keyof Messages])[];

function isCurrent(ctx: PageContext, path: string): boolean {
  const here = ctx.here.split('?')[0]!;
  return here === path || here.startsWith(`${path}/`);
}

/**
 * The one layout of every dashboard page: header, organisation switcher, navigation, language switch.
 * `htmx` loads htmx (see htmx.tsx) for pages that check input as it is typed.
 */
export function Layout({ ctx, title, htmx, children }: { ctx: PageContext; title: string; htmx?: boolean; children: ComponentChildren }) {
  const { t } = ctx;
  return (
    <html lang={ctx.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t.product}`}</title>
        <link rel="stylesheet" href="/app/assets/dashboard.css" />
        {htmx && <HtmxHead />}
      </head>
      <body>
        <a class="skip" href="#content">
          {t.skipToContent}
        </a>
        <header class="top">
          <a class="brand" href="/app">
            {t.product}
          </a>
          <div class="controls">
            <OrgSwitch ctx={ctx} />
            <LanguageSwitch ctx={ctx} />
            {ctx.session && (
              <form method="post" action="/app/sign-out" class="inline-form">
                <CsrfField ctx={ctx} />
                <button type="submit">{t.signOut}</button>
              </form>
            )}
          </div>
        </header>
        {ctx.session && ctx.orgId && (
          <nav aria-label={t.navigation} class="org-nav">
            <ul>
              {ORG_PAGES.map(([page, label]) => (
                <li>
                  <a href={`/app/orgs/${ctx.orgId}/${page}`} aria-current={isCurrent(ctx, `/app/orgs/${ctx.orgId}/${page}`) ? 'page' : undefined}>
                    {t[label]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {ctx.session?.isOperator && (
          <nav aria-label={t.adminNavigation} class="org-nav admin-nav">
            <ul>
              {ADMIN_PAGES.map(([page, label]) => (
                <li>
                  <a href={`/app/admin/${page}`} aria-current={isCurrent(ctx, `/app/admin/${page}`) ? 'page' : undefined}>
                    {t[label]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="content">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A link to the same public page in another language. */
export interface LanguageLink {
  lang: string;
  /** The language's name in itself ("Deutsch"). */
  name: string;
  href: string;
}

/** The language switch of a public page: `href(lang)` is this page in that language, for every language but the current one. */
export function languageLinks(lang: Lang, href: (lang: Lang) => string): LanguageLink[] {
  return LANGUAGES.filter((l) => l !== lang).map((l) => ({ lang: l, name: LANGUAGE_NAMES[l], href: href(l) }));
}

/**
 * The layout of the public pages (/forget-me, /trust, /subprocessors): the
 * dashboard's stylesheet and head, no session, so the language switch is a
 * plain link per language instead of the dashboard's form. `footer` carries
 * what a page must always show (e.g. who runs the service).
 */
export function PublicLayout({
  lang,
  title,
  languages,
  noindex,
  footer,
  children,
}: {
  lang: string;
  /** The document title. */
  title: string;
  /** The language switch: its label, and this page in each other language. */
  languages?: { label: string; links: LanguageLink[] };
  /** Pages that carry a token or answer one person (forget-me) are kept out of search engines. */
  noindex?: boolean;
  footer?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {noindex && <meta name="robots" content="noindex" />}
        <title>{title}</title>
        <link rel="stylesheet" href="/app/assets/dashboard.css" />
        <link rel="stylesheet" href="/app/assets/public.css" />
      </head>
      <body class="public">
        {languages && (
          <header class="public-top">
            <nav aria-label={languages.label}>
              {languages.links.map((l, i) => (
                <>
                  {i > 0 && ' · '}
                  <a href={l.href} hreflang={l.lang} lang={l.lang}>
                    {l.name}
                  </a>
                </>
              ))}
            </nav>
          </header>
        )}
        <main id="content">{children}</main>
        {footer && <footer class="public-footer">{footer}</footer>}
      </body>
    </html>
  );
}

/** A whole page as HTML: Preact escapes every text and attribute value it is given. */
export function renderPage(page: VNode): string {
  return `<!doctype html>${renderToString(page)}`;
}
