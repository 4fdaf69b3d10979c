import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
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
