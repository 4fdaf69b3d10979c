import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Request, Response } from 'express';

/**
 * htmx (htmx.org, v2) for pages that check input as it is typed: a page asks for it with
 * `<Layout htmx>`, and everything works without it (the server checks again on submit).
 * The file is served from our own origin, so the dashboard's CSP (script-src 'self',
 * style-src 'self') holds: the config below stops htmx from injecting its indicator
 * `<style>`, from evaluating code (hx-on, js: expressions) and from running scripts
 * found in responses.
 */
const require = createRequire(import.meta.url);
const HTMX_FILE = require.resolve('htmx.org/dist/htmx.min.js');
const HTMX_VERSION = (require('htmx.org/package.json') as { version: string }).version;

/** The path the dashboard router serves the file at (under /app). */
export const HTMX_ASSET_PATH = '/assets/htmx.min.js';
/** The URL pages load it from; the version in the query lets browsers keep it for a year. */
export const HTMX_SRC = `/app${HTMX_ASSET_PATH}?v=${HTMX_VERSION}`;

const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
});

let file: Buffer | undefined;

/** GET /app/assets/htmx.min.js: the library's minified file, cached for a year. */
export function sendHtmx(_req: Request, res: Response): void {
  file ??= readFileSync(HTMX_FILE);
  res.type('text/javascript').set('Cache-Control', 'public, max-age=31536000, immutable').send(file);
}

/** The `<head>` lines of a page that uses htmx. */
export function HtmxHead() {
  return (
    <>
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <script src={HTMX_SRC} defer />
    </>
  );
}
