import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBody, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { confirmBody, confirmQuery, requestBody, verifyBody } from './forget-me-routes.js';

const tags = ['Public'];
const page = { 'text/html': { schema: z.string() } };

const Receipt = z
  .union([
    z.object({ status: z.literal('confirmation_sent'), channel: z.literal('email'), expires_in_seconds: z.number().int() }),
    z.object({ status: z.literal('code_sent'), channel: z.literal('sms'), request_id: uuid, expires_in_seconds: z.number().int(), attempts_allowed: z.number().int() }),
  ])
  .meta({ id: 'ForgetMeReceipt', description: 'The same answer whether or not anything is held on the person.' });

const Confirmed = z
  .object({ status: z.literal('confirmed'), request: z.object({ id: uuid, status: z.string(), received_at: timestamp, due_at: timestamp }) })
  .meta({ id: 'ForgetMeConfirmed' });

/** Each answer as a page (a browser's form post or link) or JSON (an API client). */
function answers(ok: Record<number, z.ZodType | null>, errors: number[]): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  for (const [status, schema] of Object.entries(ok)) {
    out[Number(status)] = { description: 'A page for a browser, JSON for an API client.', content: schema ? { ...page, 'application/json': { schema } } : page };
  }
  for (const status of errors) {
    out[status] = { description: 'Refused: a page for a browser, the error as JSON for an API client.', content: { ...page, 'application/json': { schema: ErrorBody } } };
  }
  return out;
}

const bodies = (schema: z.ZodType) => ({
  content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
  required: true,
});

/** /forget-me: the public erasure request (src/forget-me/forget-me-routes.ts). */
export const describeForgetMe: Describe = (api) => {
  api.raw({ method: 'get', path: '/forget-me', tags, summary: 'The forget-me form (English, German, Polish)', request: { query: z.object({ lang: z.enum(['en', 'de', 'pl']).optional() }) }, responses: { 200: { description: 'The form.', content: page } } });
  api.raw({
    method: 'post',
    path: '/forget-me',
    tags,
    summary: 'Ask for erasure by e-mail (a confirmation link is sent) or by phone (an SMS code is sent)',
    description: 'Answers take the same time and say the same whether or not anything is held.',
    request: { body: bodies(requestBody) },
    responses: answers({ 202: Receipt }, [400, 413, 415, 429, 500, 503]),
  });
  api.raw({ method: 'post', path: '/forget-me/verify', tags, summary: 'Confirm a phone request with the SMS code', request: { body: bodies(verifyBody) }, responses: answers({ 200: Confirmed }, [400, 410, 413, 415, 429, 500]) });
  api.raw({
    method: 'get',
    path: '/forget-me/confirm',
    tags,
    summary: 'Open the e-mailed link: checks it and shows the confirmation button (nothing is erased yet)',
    request: { query: confirmQuery },
    responses: answers(
      { 200: z.object({ status: z.literal('awaiting_confirmation'), expires_at: timestamp, confirm: z.object({ method: z.literal('POST'), path: z.string(), fields: z.array(z.string()) }) }) },
      [400, 410, 500],
    ),
  });
  api.raw({ method: 'post', path: '/forget-me/confirm', tags, summary: 'Press the button: uses the link up and starts the erasure', request: { body: bodies(confirmBody) }, responses: answers({ 200: Confirmed }, [400, 403, 410, 413, 415, 429, 500]) });
};
