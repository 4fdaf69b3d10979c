import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Router } from 'express';
import helmet from 'helmet';
import { RETENTION_CHOICES } from './preferences-service.js';

/**
 * The privacy-preferences page for owners and admins: retention window, the
 * keypad-consent switch and whom it asks, transcript encryption, and erasing a person. It is a
 * static page whose small inline script talks to the same JSON API as any
 * client (GET /api/orgs, GET/PUT /api/orgs/:orgId/preferences/privacy, POST
 * /api/orgs/:orgId/erasure-requests) with the access token the user pastes or
 * that arrives in the URL fragment (#token=…): a fragment never reaches the
 * server, and the script removes it from the address bar at once. The token
 * is kept in memory only. The script runs under a per-response CSP nonce.
 */
const SCRIPT = `
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let token = '';
  let orgs = [];

  function say(el, message, ok) {
    el.textContent = message;
    el.className = ok ? 'ok' : 'err';
  }

  async function api(method, path, body) {
    const headers = { authorization: 'Bearer ' + token, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.error && data.error.message) || ('The server answered ' + res.status + '.'));
    return data;
  }

  const currentOrg = () => orgs.find((o) => o.id === $('org').value);
  const canWrite = () => { const o = currentOrg(); return Boolean(o && (o.role === 'owner' || o.role === 'admin')); };

  async function loadPreferences() {
    const org = currentOrg();
    if (!org) return;
    const writable = canWrite();
    $('role-note').hidden = writable;
    for (const el of document.querySelectorAll('#prefs-form input, #prefs-form select, #prefs-form button, #erase-form input, #erase-form button')) el.disabled = !writable;
    say($('prefs-status'), 'Loading…', true);
    try {
      const p = await api('GET', '/api/orgs/' + encodeURIComponent(org.id) + '/preferences/privacy');
      $('retention').value = String(p.retention_days);
      $('dtmf').checked = p.dtmf_consent;
      $('scope').value = p.consent_scope;
      $('encryption').checked = p.transcript_encryption;
      say($('prefs-status'), 'Loaded the settings of ' + org.name + '.', true);
      $('settings').hidden = false;
    } catch (err) {
      say($('prefs-status'), err.message, false);
    }
  }

  async function signIn() {
    say($('token-status'), 'Checking…', true);
    try {
      const data = await api('GET', '/api/orgs');
      orgs = data.organizations;
      const select = $('org');
      select.replaceChildren(...orgs.map((o) => {
        const option = document.createElement('option');
        option.value = o.id;
        option.textContent = o.name + ' (' + o.role + ')';
        return option;
      }));
      if (orgs.length === 0) {
        say($('token-status'), 'You are signed in, but you belong to no organisation yet.', false);
        return;
      }
      say($('token-status'), 'Signed in. ' + orgs.length + ' organisation(s).', true);
      $('org-section').hidden = false;
      await loadPreferences();
    } catch (err) {
      token = '';
      say($('token-status'), err.message, false);
    }
  }

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    if (token) signIn();
  });
  $('org').addEventListener('change', loadPreferences);

  $('prefs-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    say($('prefs-status'), 'Saving…', true);
    try {
      const p = await api('PUT', '/api/orgs/' + encodeURIComponent($('org').value) + '/preferences/privacy', {
        retention_days: Number($('retention').value),
        dtmf_consent: $('dtmf').checked,
        consent_scope: $('scope').value,
        transcript_encryption: $('encryption').checked,
      });
      $('retention').value = String(p.retention_days);
      $('dtmf').checked = p.dtmf_consent;
      $('scope').value = p.consent_scope;
      $('encryption').checked = p.transcript_encryption;
      say($('prefs-status'), 'Saved: keep data for ' + p.retention_days + ' days.', true);
    } catch (err) {
      say($('prefs-status'), err.message, false);
    }
  });

  $('erase-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const kind = document.querySelector('input[name=kind]:checked').value;
    const value = $('subject').value.trim();
    say($('erase-status'), 'Erasing…', true);
    try {
      const r = await api('POST', '/api/orgs/' + encodeURIComponent($('org').value) + '/erasure-requests', kind === 'email' ? { email: value } : { phone: value });
      $('subject').value = '';
      $('understood').checked = false;
      say($('erase-status'), r.found === false
        ? 'Nothing found: this organisation holds no data on that person, so nothing was erased (request ' + r.id + ').'
        : 'Erasure request ' + r.id + ': ' + r.status.replace('_', ' ') + '.', true);
    } catch (err) {
      say($('erase-status'), err.message, false);
    }
  });

  // A token handed over in the fragment (#token=…) is taken and removed from the address bar.
  const fromFragment = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (fromFragment) {
    token = decodeURIComponent(fromFragment[1]);
    history.replaceState(null, '', location.pathname + location.search);
    signIn();
  }
})();
`;

const STYLE = `
  :root { color-scheme: light dark; }
  body { font: 1.0625rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 42rem; padding: 1rem 1.25rem 3rem; }
  h1 { font-size: 1.75rem; }
  h2 { font-size: 1.25rem; margin-top: 2rem; }
  form h2 { margin-top: 0; }
  form, .box { border: 1px solid #8888; border-radius: .5rem; padding: 1rem 1.25rem; margin: 1rem 0; }
  label { display: block; font-weight: 600; margin-top: .75rem; }
  label.inline { display: inline; font-weight: 400; margin: 0 0 0 .25rem; }
  fieldset { border: 0; padding: 0; margin: .75rem 0 0; }
  legend { font-weight: 600; }
  .hint { display: block; font-weight: 400; font-size: .95rem; }
  input[type=text], input[type=password], select { box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; margin-top: .25rem; }
  button { font: inherit; margin-top: 1rem; padding: .5rem 1rem; border-radius: .25rem; border: 1px solid #1a4fa3; background: #1a4fa3; color: #fff; cursor: pointer; }
  button.danger { background: #b00020; border-color: #b00020; }
  button:disabled { opacity: .5; cursor: not-allowed; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
  .ok { color: inherit; }
  .err { color: #b00020; font-weight: 600; }
`;

function page(nonce: string): string {
  const retention = RETENTION_CHOICES.map((d) => `<option value="${d}">${d} days</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Privacy preferences</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Privacy preferences</h1>
<p>For owners and admins of an organisation: how long call data is kept, whether callers are asked for consent by keypad, whether transcripts are encrypted, and erasing a person's data.</p>
<noscript><p class="err">This page needs JavaScript to talk to the API. The same settings are at <code>/api/orgs/:orgId/preferences/privacy</code>.</p></noscript>

<form id="token-form" aria-labelledby="token-heading">
<h2 id="token-heading">Sign in</h2>
<label for="token">Access token</label>
<span class="hint" id="token-hint">Paste your access token. It stays in this page and is sent only to this server's API.</span>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-hint">
<button type="submit">Use token</button>
<p id="token-status" role="status" aria-live="polite"></p>
</form>

<section id="org-section" hidden aria-labelledby="org-heading">
<h2 id="org-heading">Organisation</h2>
<label for="org">Organisation</label>
<select id="org" name="org"></select>
<p id="role-note" class="err" hidden>Only owners and admins can change these settings.</p>
</section>

<section id="settings" hidden>
<form id="prefs-form" aria-labelledby="prefs-heading">
<h2 id="prefs-heading">Retention and privacy</h2>
<label for="retention">Keep transcripts, recordings and lead names for</label>
<span class="hint" id="retention-hint">Older data is erased every night, here and at Twilio and ElevenLabs.</span>
<select id="retention" name="retention_days" aria-describedby="retention-hint">${retention}</select>
<p><input id="dtmf" name="dtmf_consent" type="checkbox"><label class="inline" for="dtmf">Ask callers to press 1 before anything is recorded</label></p>
<label for="scope">Whom to ask</label>
<span class="hint" id="scope-hint">Applies while the switch above is on. Callers are asked in their country's language where we have it, otherwise in the agent's language.</span>
<select id="scope" name="consent_scope" aria-describedby="scope-hint"><option value="listed_countries">Callers from Germany, Austria, Switzerland and Poland</option><option value="all_callers">Every caller, from any country</option></select>
<p><input id="encryption" name="transcript_encryption" type="checkbox"><label class="inline" for="encryption">Encrypt transcripts (AES-256-GCM, key held by the backend only)</label></p>
<button type="submit">Save settings</button>
<p id="prefs-status" role="status" aria-live="polite"></p>
</form>

<form id="erase-form" aria-labelledby="erase-heading">
<h2 id="erase-heading">Erase a person</h2>
<p>Erases the person's leads, calls, transcripts, recordings and proofs of consent in this organisation, including the copies at Twilio and ElevenLabs. This cannot be undone.</p>
<fieldset>
<legend>Find the person by</legend>
<input id="kind-phone" type="radio" name="kind" value="phone" checked><label class="inline" for="kind-phone">Phone number</label>
<input id="kind-email" type="radio" name="kind" value="email"><label class="inline" for="kind-email">E-mail address</label>
</fieldset>
<label for="subject">Phone number or e-mail address</label>
<span class="hint" id="subject-hint">Phone numbers with the country code (+49 30 1234567), or in national format in the organisation's country (030 1234567).</span>
<input id="subject" name="subject" type="text" autocomplete="off" required maxlength="254" aria-describedby="subject-hint">
<p><input id="understood" type="checkbox" required><label class="inline" for="understood">I understand this erases the data permanently</label></p>
<button type="submit" class="danger">Erase</button>
<p id="erase-status" role="status" aria-live="polite"></p>
</form>
</section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

/** GET /preferences/privacy: the page, under a CSP whose script-src allows only this response's nonce. */
export function preferencesPage(): Router {
  const router = Router();
  router.get(
    '/',
    (_req, res, next) => {
      res.locals.cspNonce = randomBytes(16).toString('base64');
      next();
    },
    helmet.contentSecurityPolicy({
      useDefaults: true,
      directives: {
        scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as ServerResponse & { locals: { cspNonce: string } }).locals.cspNonce}'`],
        connectSrc: ["'self'"],
      },
    }),
    (_req, res) => {
      res.set('Cache-Control', 'no-store');
      res.type('html').send(page(res.locals.cspNonce as string));
    },
  );
  return router;
}
