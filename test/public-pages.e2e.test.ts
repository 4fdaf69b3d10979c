import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';

let h: BrowserHarness;

beforeAll(async () => {
  h = await startBrowserHarness({ OPERATOR_NAME: 'Example Voice GmbH', PRIVACY_CONTACT_EMAIL: 'privacy@example.test' });
  // A purge that just finished, so that /trust shows passing checks next to the others.
  await h.db`
    insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
    values ('retention-purge', now(), 'test', 'succeeded', now() - interval '1 minute', now(), '{"transcripts_deleted": 0}')`;
});

afterAll(async () => {
  await h?.close();
});

describe('the public pages, in a real browser', () => {
  it('/forget-me, /trust and /subprocessors: styled from our stylesheet under a strict CSP, accessible, no sideways scroll at 375 px', async () => {
    const { page, problems } = await h.newPage();

    await page.goto(`${h.base}/forget-me`);
    await page.getByRole('heading', { name: 'Your data: get a copy, stop recording, erase it' }).waitFor();
    // The stylesheet loaded (the CSP allows our own files): the form has its border.
    expect(await page.locator('main > form').first().evaluate((f) => getComputedStyle(f).borderTopStyle)).toBe('solid');
    expect(await page.locator('#operator-name').textContent()).toBe('Example Voice GmbH');
    await h.checkPage(page, 'public-forget-me');

    await page.getByRole('link', { name: 'Polski' }).click();
    await page.getByRole('heading', { name: 'Pana/Pani dane: kopia, bez nagrywania, usunięcie' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');

    await page.goto(`${h.base}/trust`);
    await page.getByRole('heading', { name: 'Live results' }).waitFor();
    const retention = page.locator('#check-retention');
    expect(await retention.locator('.state').textContent()).toBe('Passing');
    expect(await retention.locator('.state').evaluate((s) => getComputedStyle(s).fontWeight)).toBe('700');
    expect(await page.locator('#check-provider_deletions .state').textContent()).toBe('Passing');
    expect(await page.locator('.checks > li').count()).toBe(10);
    await h.checkPage(page, 'public-trust');

    await page.getByRole('link', { name: 'sub-processor list' }).click();
    await page.getByRole('heading', { name: 'Sub-processors', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'ElevenLabs' }).waitFor();
    await h.checkPage(page, 'public-subprocessors');

    // The language switch: German, then on to /trust in German, then Polish; each page accessible and narrow enough.
    await page.getByRole('link', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { name: 'Unterauftragsverarbeiter', exact: true }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await h.checkPage(page, 'public-subprocessors-de');
    await page.getByRole('link', { name: 'Vertrauenskontrollen' }).click();
    await page.getByRole('heading', { name: 'Aktuelle Ergebnisse' }).waitFor();
    expect(await page.locator('#check-retention .state').textContent()).toBe('Erfüllt');
    expect(await page.locator('#check-retention').textContent()).toContain('Die tägliche Löschung wurde zuletzt vor');
    await h.checkPage(page, 'public-trust-de');
    await page.getByRole('link', { name: 'Polski' }).click();
    await page.getByRole('heading', { name: 'Bieżące wyniki' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    expect(await page.locator('#check-provider_deletions .state').textContent()).toBe('Działa');
    await h.checkPage(page, 'public-trust-pl');

    expect(problems).toEqual([]);
  });

  it('a Polish browser gets /trust and /subprocessors in Polish (Accept-Language), and the switch link back to English', async () => {
    const { page, problems } = await h.newPage();
    // What a browser set to Polish sends (the shared context's own locale is English).
    await page.route(`${h.base}/**`, (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': 'pl-PL,pl;q=0.9,en;q=0.5' } }));
    await page.goto(`${h.base}/trust`);
    await page.getByRole('heading', { name: 'Mechanizmy zaufania', level: 1 }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    await page.goto(`${h.base}/subprocessors`);
    await page.getByRole('heading', { name: 'Dalsze podmioty przetwarzające', level: 1 }).waitFor();
    await h.checkPage(page, 'public-subprocessors-pl');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sub-processors', exact: true }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(problems).toEqual([]);
    await page.close();
  });
});
