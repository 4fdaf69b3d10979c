import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBody, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { confirmBody, confirmQuery, requestBody, verifyBody } from './forget-me-routes.js';
import { REQUEST_TYPES } from './forget-me-service.js';

const tags = ['Public'];
const page = { 'text/html': { schema: z.string() } };

const Receipt = z
  .union([
    z.object({ status: z.literal('confirmation_sent'), channel: z.literal('email'), expires_in_seconds: z.number().int() }),
    z.object({ status: z.literal('code_sent'), channel: z.literal('sms'), request_id: uuid, expires_in_seconds: z.number().int(), attempts_allowed: z.number().int() }),
  ])
  .meta({ id: 'ForgetMeReceipt', description: 'The same answer whether or not anything is held on the person.' });

const requestType = z.enum(REQUEST_TYPES);
const rightsRequest = z.object({ id: uuid, status: z.literal('completed'), received_at: timestamp, confirmed_at: timestamp });

const Confirmed = z
  .union([
    z.object({ status: z.literal('confirmed'), request_type: z.literal('erasure'), request: z.object({ id: uuid, status: z.string(), received_at: timestamp, due_at: timestamp }) }),
    z.object({
      status: z.literal('confirmed'),
      request_type: z.literal('access'),
      request: rightsRequest,
      download_urls: z.array(z.string()).meta({ description: 'One link per organisation holding data on the person (none when nothing is held); each works once.' }),
      expires_at: timestamp.meta({ description: 'When the download links stop working (24 hours).' }),
    }),
    z.object({ status: z.literal('confirmed'), request_type: z.literal('do_not_record'), request: rightsRequest }),
    z.object({
      status: z.literal('confirmed'),
      request_type: z.literal('recording_allowed'),
      request: rightsRequest.meta({ description: 'The same answer whether or not the number was on the do-not-record list.' }),
    }),
  ])
  .meta({
    id: 'ForgetMeConfirmed',
    description: 'A verified request: erasure (Art. 17), access (Art. 15), do-not-record (Art. 21), or recording allowed again (the do-not-record objection withdrawn).',
  });

const AccessDownload = z
  .looseObject({
    format_version: z.union([z.string(), z.number()]),
    export_id: uuid,
    generated_at: timestamp,
    access_request_id: uuid,
    organization: z.looseObject({ id: uuid }),
    subject: z.object({ type: z.enum(['email', 'phone']) }),
    found: z.boolean(),
    counts: z.record(z.string(), z.number()),
    data: z.looseObject({}),
    recipients: z.array(z.object({ name: z.string(), purpose: z.string(), data_categories: z.array(z.string()), region: z.string(), role: z.string(), safeguards: z.string() })),
    retention: z.object({ retention_days: z.number().int(), applies_to: z.string() }),
  })
  .meta({ id: 'AccessDownload', description: "The person's data at one organisation (its export format), with the recipients (Art. 15(1)(c)) and the retention (Art. 15(1)(d))." });

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
    summary: 'Ask for erasure, access, do-not-record or recording allowed again by e-mail (a confirmation link is sent) or by phone (an SMS code is sent)',
    description:
      'Answers take the same time and say the same whether or not anything is held. `request_type`: `erasure` (default), `access`, `do_not_record` (by phone only: 422 `phone_required`) or `recording_allowed` (takes the number off the do-not-record list, so its calls are asked for consent again; by phone only: 422 `phone_required`).',
    request: { body: bodies(requestBody) },
    responses: answers({ 202: Receipt }, [400, 413, 415, 422, 429, 500, 503]),
  });
  api.raw({ method: 'post', path: '/forget-me/verify', tags, summary: 'Confirm a phone request with the SMS code', request: { body: bodies(verifyBody) }, responses: answers({ 200: Confirmed }, [400, 410, 413, 415, 429, 500]) });
  api.raw({
    method: 'get',
    path: '/forget-me/confirm',
    tags,
    summary: 'Open the e-mailed link: checks it and shows the confirmation button (nothing is erased yet)',
    request: { query: confirmQuery },
    responses: answers(
      { 200: z.object({ status: z.literal('awaiting_confirmation'), request_type: requestType, expires_at: timestamp, confirm: z.object({ method: z.literal('POST'), path: z.string(), fields: z.array(z.string()) }) }) },
      [400, 410, 500],
    ),
  });
  api.raw({ method: 'post', path: '/forget-me/confirm', tags, summary: 'Press the button: uses the link up and carries the request out', request: { body: bodies(confirmBody) }, responses: answers({ 200: Confirmed }, [400, 403, 410, 413, 415, 429, 500]) });
  api.raw({
    method: 'get',
    path: '/forget-me/downloads/:token',
    tags,
    summary: "An access answer's download: the person's data at one organisation (once, within 24 hours)",
    description: 'A JSON attachment. 410 `download_used` or `download_expired`, 404 `download_not_found`; a browser gets those as a page.',
    request: { params: z.object({ token: z.string() }) },
    responses: {
      200: { description: 'The download (an attachment).', content: { 'application/json': { schema: AccessDownload } } },
      ...answers({}, [404, 410, 429, 500]),
    },
  });
};
