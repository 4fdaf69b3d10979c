import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { DETAIL_CODES, detailText, type DetailPart } from '../src/trust/trust-messages.js';
import { CONTROLS } from '../src/trust/trust-service.js';
import { buildTestApp, openTestDb, testConfig } from './helpers/harness.js';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];

beforeAll(() => {
  db = openTestDb();
  ({ app } = buildTestApp(db, testConfig({ OPERATOR_NAME: 'Example Voice GmbH', PRIVACY_CONTACT_EMAIL: 'privacy@example.test' })));
});
afterAll(async () => {
  await db.end();
});

/** Every public page, in each state a visitor can reach without a token. */
const PAGES: [string, () => request.Test][] = [
  ['/forget-me', () => request(app).get('/forget-me')],
  ['/forget-me?lang=de', () => request(app).get('/forget-me?lang=de')],
  ['/forget-me?lang=pl', () => request(app).get('/forget-me?lang=pl')],
  ['/forget-me (refused form)', () => request(app).post('/forget-me').set('Accept', 'text/html').type('form').send({ email: 'not an address' })],
  ['/forget-me/confirm (bad link)', () => request(app).get('/forget-me/confirm?token=not-a-token').set('Accept', 'text/html')],
  ['/trust', () => request(app).get('/trust').set('Accept', 'text/html')],
  ['/subprocessors', () => request(app).get('/subprocessors').set('Accept', 'text/html')],
  ['/trust?lang=de', () => request(app).get('/trust?lang=de').set('Accept', 'text/html')],
  ['/trust (Accept-Language: pl)', () => request(app).get('/trust').set('Accept', 'text/html').set('Accept-Language', 'pl')],
  ['/subprocessors?lang=pl', () => request(app).get('/subprocessors?lang=pl').set('Accept', 'text/html')],
  ['/subprocessors (Accept-Language: de)', () => request(app).get('/subprocessors').set('Accept', 'text/html').set('Accept-Language', 'de')],
];

describe('the public pages: one layout, our own stylesheet, a strict CSP', () => {
  it.each(PAGES)('%s: strict CSP, no inline style or script, the shared stylesheets', async (_name, get) => {
    const res = await get();
    expect(res.type).toBe('text/html');
    expect([200, 400]).toContain(res.status);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toBeDefined();
    expect(csp).not.toContain('unsafe-inline');
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "script-src-attr 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(res.text.startsWith('<!doctype html><html lang="')).toBe(true);
    expect(res.text).not.toMatch(/\sstyle=/i);
    expect(res.text).not.toMatch(/<style/i);
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).not.toMatch(/\son[a-z]+=/i);
    expect(res.text).toContain('<link rel="stylesheet" href="/app/assets/dashboard.css"/><link rel="stylesheet" href="/app/assets/public.css"/>');
  });

  it('serves both stylesheets from our origin', async () => {
    for (const file of ['dashboard.css', 'public.css']) {
      const res = await request(app).get(`/app/assets/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.type).toBe('text/css');
    }
    expect((await request(app).get('/app/assets/public.css')).text).toContain('.processors');
  });

  it('the forget-me pages name the operator and the privacy contact', async () => {
    const res = await request(app).get('/forget-me?lang=pl');
    expect(res.text).toContain('<strong id="operator-name">Example Voice GmbH</strong>');
    expect(res.text).toContain('href="mailto:privacy@example.test"');
  });

  it('/subprocessors is one card per sub-processor (no table), and still answers JSON', async () => {
    const html = await request(app).get('/subprocessors');
    expect(html.text).not.toContain('<table');
    expect(html.text).toMatch(/<ul class="processors" aria-label="Sub-processors in use"><li><h3>/);
    expect(html.text).toContain('<dt>Safeguards</dt>');
    const json = await request(app).get('/subprocessors').set('Accept', 'application/json');
    expect(json.type).toBe('application/json');
    expect(json.body).toEqual((await request(app).get('/subprocessors.json')).body);
  });
});

/** The text of a piece of HTML, as a reader sees it. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
/** One check's card on the /trust page. */
const checkCard = (html: string, id: string) => html.match(new RegExp(`<li class="[a-z]+" id="check-${id}">(.*?)</li>`))?.[1] ?? '';

describe('/trust and /subprocessors in English, German and Polish', () => {
  const page = (path: string, acceptLanguage?: string) => {
    const r = request(app).get(path).set('Accept', 'text/html');
    return acceptLanguage ? r.set('Accept-Language', acceptLanguage) : r;
  };

  it('/trust follows Accept-Language: German, Polish, with links to the page in the other two languages', async () => {
    const de = await page('/trust', 'de-DE,de;q=0.9,en;q=0.5');
    expect(de.status).toBe(200);
    expect(de.text).toContain('<html lang="de">');
    expect(de.text).toContain('<title>Vertrauenskontrollen</title>');
    expect(de.text).toContain('<h1>Vertrauens\u00adkontrollen</h1>');
    expect(de.text).toContain('<h2>Aktuelle Ergebnisse</h2>');
    expect(de.text).toContain('<strong>Trennung der Mandanten in der Datenbank</strong>');
    expect(de.text).toContain('<nav aria-label="Sprache">');
    expect(de.text).toContain('<a href="/trust?lang=en" hreflang="en" lang="en">English</a>');
    expect(de.text).toContain('<a href="/trust?lang=pl" hreflang="pl" lang="pl">Polski</a>');
    expect(de.text).not.toContain('hreflang="de"');
    expect(de.text).toContain('<a href="/subprocessors?lang=de">Liste der Unterauftragsverarbeiter</a>');
    expect(de.text).not.toContain('Live results');
    expect(de.text).not.toContain('How the controls work');

    const pl = await page('/trust', 'pl-PL,pl;q=0.9');
    expect(pl.text).toContain('<html lang="pl">');
    expect(pl.text).toContain('<h1>Mechanizmy zaufania</h1>');
    expect(pl.text).toContain('<h2>Bieżące wyniki</h2>');
    expect(pl.text).toContain('<strong>Niezmienny dziennik zdarzeń</strong>');
    expect(pl.text).toContain('<nav aria-label="Język">');
    expect(pl.text).toContain('<a href="/trust?lang=de" hreflang="de" lang="de">Deutsch</a>');
    // A shared cache keeps the languages (and the JSON) apart.
    expect(pl.headers.vary).toMatch(/Accept(?!-)/);
    expect(pl.headers.vary).toContain('Accept-Language');
  });

  it('/trust: the switch link (?lang=) wins over Accept-Language; unknown languages fall back to English', async () => {
    const chosen = await page('/trust?lang=pl', 'de');
    expect(chosen.text).toContain('<html lang="pl">');
    expect(chosen.text).toContain('<h1>Mechanizmy zaufania</h1>');
    const back = await page('/trust?lang=en', 'de');
    expect(back.text).toContain('<html lang="en">');
    expect(back.text).toContain('<h1>Trust controls</h1>');
    for (const res of [await page('/trust', 'fr-FR,fr;q=0.9'), await page('/trust?lang=xx'), await page('/trust?lang=fr', 'es')]) {
      expect(res.status).toBe(200);
      expect(res.text).toContain('<html lang="en">');
      expect(res.text).toContain('<h1>Trust controls</h1>');
      expect(res.text).toContain('<h2>Live results</h2>');
    }
  });

  it("/trust: each check's details appear in the page's language, from the codes the JSON gives; the JSON keeps its fields and its English", async () => {
    const json = await request(app).get('/trust').set('Accept', 'application/json').set('Accept-Language', 'de');
    expect(json.type).toBe('application/json');
    expect(Object.keys(json.body).sort()).toEqual(['cache_seconds', 'checked_at', 'checks', 'controls', 'passing']);
    expect(json.body.controls).toEqual(CONTROLS);
    const checks = json.body.checks as { id: string; control: string; detail: string; details: DetailPart[]; status: string }[];
    expect(checks.length).toBeGreaterThanOrEqual(10);
    for (const c of checks) {
      expect(Object.keys(c).sort(), c.id).toEqual(['checked_at', 'control', 'detail', 'details', 'evidence', 'id', 'status']);
      expect(c.details.length, c.id).toBeGreaterThan(0);
      // The English text is the English wording of the codes: one source for both.
      expect(detailText('en', c.details), c.id).toBe(c.detail);
    }
    const rls = checks.find((c) => c.id === 'rls_enabled')!;
    expect(rls.details).toEqual([{ code: 'rls_on', params: { tables: expect.any(Number) } }]);
    expect(rls.detail).toMatch(/^Row-level security is on for all \d+ personal-data tables\.$/);

    const de = (await page('/trust?lang=de')).text;
    const pl = (await page('/trust?lang=pl')).text;
    const en = (await page('/trust?lang=en')).text;
    for (const c of checks) {
      expect(textOf(checkCard(de, c.id)), c.id).toContain(detailText('de', c.details));
      expect(textOf(checkCard(pl, c.id)), c.id).toContain(detailText('pl', c.details));
      expect(textOf(checkCard(en, c.id)), c.id).toContain(c.detail);
      expect(textOf(checkCard(de, c.id)), c.id).not.toContain(c.detail);
      expect(textOf(checkCard(pl, c.id)), c.id).not.toContain(c.detail);
    }
    expect(textOf(checkCard(de, 'rls_enabled'))).toMatch(/Die Zeilensicherheit ist für alle \d+ Tabellen mit personenbezogenen Daten eingeschaltet\./);
    expect(textOf(checkCard(pl, 'rls_enabled'))).toMatch(/Zabezpieczenia na poziomie wierszy są włączone we wszystkich tabelach z danymi osobowymi \(\d+\)\./);
    expect(checkCard(de, 'subprocessors')).toMatch(/^<h3>Liste der Unterauftragsverarbeiter<\/h3><p><span class="state info">Zur Information<\/span>: Listenversion \S+: \d+ im Einsatz, \d+ angekündigt\.<\/p>/);
  });

  it('every detail code is worded in German and Polish, not left in English', () => {
    const sample = { tables: 3, missing: 'prevent_audit_delete', job: 'ops-alerts', installed_seconds_ago: 600, seconds_ago: 9000, late: true, failed_at: '2026-01-02T03:04:05.000Z', chains: 4, entries: 40, broken: 1, lagging: 1, max_minutes: 30, at: '2026-01-02T03:04:05.000Z', encrypted: 1, total: 2, organisations: 2, out_of_line: 1, agents: 3, failing: 1, overdue: 1, flagged: 1, open: 2, completed: 5, failed: 2, pending: 3, oldest_hours: 50.5, done: 7, kinds: 'job_failing (2)', since: '2026-01-02T03:04:05.000Z', version: 'v1', live: 2, announced: 1, days: 90, percent: 99.5, stale: 1, delivered: 4, configured: false, entry: 7, problem: 'content_changed', found_at: '2026-01-02T03:04:05.000Z', through: 12, job_through: 10, job_at: '2026-01-02T03:04:05.000Z', job_seconds_ago: 120, checked_from: 11 };
    expect(DETAIL_CODES.length).toBeGreaterThan(25);
    for (const code of DETAIL_CODES) {
      const parts = [{ code, params: sample }] as unknown as DetailPart[];
      const en = detailText('en', parts);
      for (const lang of ['de', 'pl'] as const) {
        const text = detailText(lang, parts);
        expect(text, `${lang} ${code}`).not.toBe(en);
        expect(text, `${lang} ${code}`).not.toMatch(/undefined|NaN|\[object/);
        expect(text, `${lang} ${code}`).toMatch(/[.!]$/);
      }
    }
    // A sentence ending in ';' goes on in the next part (the organisation's retention window before the purge's state).
    const window = [{ code: 'retention_window', params: { days: 90 } }, { code: 'purge_finished', params: { seconds_ago: 360, late: false } }] as DetailPart[];
    expect(detailText('en', window)).toBe('Window 90 days; the daily purge last finished 0.1 hours ago.');
    expect(detailText('de', window)).toBe('Aufbewahrungsfrist 90 Tage. Die tägliche Löschung wurde zuletzt vor 0,1 Std. abgeschlossen.');
    // Numbers and moments the reader's way.
    expect(detailText('de', [{ code: 'purge_finished', params: { seconds_ago: 5400, late: false } }])).toBe('Die tägliche Löschung wurde zuletzt vor 1,5 Std. abgeschlossen.');
    expect(detailText('pl', [{ code: 'deletions_waiting', params: { pending: 2, oldest_hours: 50.5, late: true } }])).toBe(
      'Oczekujące usunięcia: 2; najstarsze czeka 50,5 godz. To ponad dwa dni: zadanie usuwania nie działa.',
    );
    expect(detailText('de', [{ code: 'chains_last_verified', params: { at: '2026-01-02T03:04:05.000Z' } }])).toBe('Der Prüf-Job hat zuletzt am 02.01.2026, 03:04:05 UTC eine Kette bestätigt.');
  });

  it('/subprocessors follows Accept-Language and the switch link; unknown languages fall back to English', async () => {
    const de = await page('/subprocessors', 'de-AT,de;q=0.9');
    expect(de.text).toContain('<html lang="de">');
    expect(de.text).toContain('<title>Unterauftragsverarbeiter</title>');
    // Soft hyphens, so that the long word breaks properly on a narrow screen.
    expect(de.text).toContain('<h1>Unter\u00adauftrags\u00adverarbeiter</h1>');
    expect(de.text).toContain('<h2>Im Einsatz</h2>');
    expect(de.text).toMatch(/<ul class="processors" aria-label="Unterauftragsverarbeiter im Einsatz"><li><h3>/);
    expect(de.text).toContain('<dt>Zweck</dt>');
    expect(de.text).toContain('<dt>Garantien</dt>');
    expect(de.text).toContain('<a href="/trust?lang=de">Vertrauenskontrollen</a>');
    expect(de.text).toContain('<a href="/subprocessors?lang=pl" hreflang="pl" lang="pl">Polski</a>');
    expect(de.text).not.toContain('<dt>Purpose</dt>');
    expect(de.headers.vary).toContain('Accept-Language');

    const pl = await page('/subprocessors', 'pl');
    expect(pl.text).toContain('<html lang="pl">');
    expect(pl.text).toContain('<h1>Dalsze podmioty przetwarzające</h1>');
    expect(pl.text).toContain('<dt>Cel</dt>');
    expect(pl.text).toContain('<a href="/subprocessors?lang=en" hreflang="en" lang="en">English</a>');

    const chosen = await page('/subprocessors?lang=de', 'pl');
    expect(chosen.text).toContain('<title>Unterauftragsverarbeiter</title>');

    for (const res of [await page('/subprocessors', 'fr'), await page('/subprocessors?lang=xx', 'it')]) {
      expect(res.text).toContain('<html lang="en">');
      expect(res.text).toContain('<h1>Sub-processors</h1>');
      expect(res.text).toContain('<dt>Purpose</dt>');
      expect(res.text).toContain('<a href="/trust?lang=en">trust controls</a>');
    }
    // The JSON does not depend on the language.
    const json = await request(app).get('/subprocessors').set('Accept', 'application/json').set('Accept-Language', 'de');
    expect(json.body).toEqual((await request(app).get('/subprocessors.json')).body);
  });
});
