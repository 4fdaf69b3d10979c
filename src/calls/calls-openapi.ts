import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { STOP_RECORDING_PATH } from '../providers/stop-recording-tool.js';
import { callParams, listQuery, recordingQuery } from './calls-routes.js';
import { correctionBody, leadParams, leadsListQuery } from './leads-routes.js';
import { withdrawalBody } from './withdrawal-service.js';
import { consentParams, consentQuery, recordingParams, statusParams, voiceParams } from './twilio-webhooks.js';
import { orgIdParams } from '../orgs/orgs-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Calls'];
const consentState = z.enum(['not_required', 'pending', 'given', 'refused', 'withdrawn', 'do_not_record']).meta({ description: '`do_not_record`: the caller asked on the forget-me page that their calls are not recorded.' });

const callFields = {
  id: uuid,
  agent_id: uuid.nullable(),
  twilio_call_sid: z.string(),
  caller_country: z.string().nullable(),
  status: z.string(),
  consent_state: consentState,
  consent_language: z.string().nullable(),
  recording_allowed: z.boolean(),
  greeting_sha256: z.string().nullable(),
  disclosure_version: z.string().nullable(),
  started_at: timestamp,
  ended_at: timestamp.nullable(),
  duration_seconds: z.number().int().nullable(),
  outcome: z.string().nullable(),
};

const CallSummary = z.object({ ...callFields, caller: z.string().nullable().meta({ description: 'The caller\'s number, masked.' }) }).meta({ id: 'CallSummary' });

const Recording = z.object({
  id: uuid,
  twilio_recording_sid: z.string(),
  status: z.string(),
  duration_seconds: z.number().int().nullable(),
  sha256: z.string().nullable().meta({ description: 'Hex SHA-256 of the audio, once fetched.' }),
  deleted_at: timestamp.nullable(),
  created_at: timestamp,
  storage_bucket: z.string().nullable().meta({ description: "The organisation's own bucket the recording was delivered to; null while it is at Twilio." }),
  storage_object_key: z.string().nullable(),
  storage_etag: z.string().nullable(),
  storage_delivered_at: timestamp.nullable(),
});
const Consent = z.object({
  digit: z.string().nullable(),
  outcome: z.string(),
  attempt: z.number().int(),
  prompt_language: z.string().nullable(),
  prompt_version: z.string().nullable(),
  prompt_hash: z.string().nullable(),
  created_at: timestamp,
});
const Turn = z.looseObject({ role: z.string(), message: z.string().nullable().optional() });
const Transcript = z.union([z.object({ id: uuid, turns: z.array(Turn).nullable() }), z.object({ id: uuid, error: z.literal('undecryptable') })]);

const CallDetail = z
  .object({
    ...callFields,
    from_number: z.string().nullable(),
    to_number: z.string().nullable(),
    elevenlabs_conversation_id: z.string().nullable(),
    answered_at: timestamp.nullable(),
    transcript: Transcript.nullable(),
    recordings: z.array(Recording),
    consents: z.array(Consent),
  })
  .meta({ id: 'CallDetail' });

const LeadSummary = z.object({ id: uuid, call_id: uuid.nullable(), name: z.string().nullable(), phone: z.string().nullable(), anonymised_at: timestamp.nullable(), created_at: timestamp }).meta({ id: 'LeadSummary' });
const Lead = z
  .object({
    id: uuid,
    call_id: uuid.nullable(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    notes: z.string().nullable(),
    anonymised_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Lead' });

const twiml = { description: 'TwiML for Twilio (an apology and hang-up for a request that cannot be used).', content: { 'text/xml': z.string() } };
const twilioTags = ['Provider webhooks'];

/** /api/orgs/:orgId/calls, /leads and the provider webhooks (src/calls/). */
export const describeCalls: Describe = (api) => {
  api.json({ method: 'get', path: '/api/orgs/:orgId/calls', tags, security: bearer, summary: 'Calls, newest first', params: orgIdParams, query: listQuery, responses: { 200: z.object({ calls: z.array(CallSummary) }) } });
  api.json({ method: 'get', path: '/api/orgs/:orgId/calls/:callId', tags, security: bearer, summary: 'One call with its transcript, recordings and consents (audited)', params: callParams, responses: { 200: CallDetail } });
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/calls/:callId/recording',
    tags,
    security: bearer,
    summary: "Download a call's recording (audited)",
    description:
      "The newest completed recording, or `recording_id`, from the organisation's own storage once delivered there, from Twilio otherwise. `Repr-Digest: sha-256=:<base64>:` (RFC 9530) carries its SHA-256. 502 `provider_unavailable` (Twilio) or `storage_unavailable` (the organisation's storage).",
    params: callParams,
    query: recordingQuery,
    responses: {
      200: {
        description: 'The audio.',
        content: { 'audio/wav': z.string().meta({ format: 'binary' }), 'audio/x-wav': z.string().meta({ format: 'binary' }) },
        headers: z.object({ 'Repr-Digest': z.string().meta({ description: 'sha-256=:<base64 of the SHA-256>:' }) }),
      },
    },
    errors: [502],
  });
  api.json({ method: 'delete', path: '/api/orgs/:orgId/calls/:callId', tags, security: bearer, summary: 'Delete a call (owner, admin); the providers\' copies are deleted too', params: callParams, responses: { 204: null } });
  api.json({ method: 'get', path: '/api/orgs/:orgId/leads', tags, security: bearer, summary: 'Leads, newest first (numbers masked; audited)', params: orgIdParams, query: leadsListQuery, responses: { 200: z.object({ leads: z.array(LeadSummary), next: z.object({ before: timestamp, before_id: uuid }).nullable().meta({ description: 'The cursor of the following page (pass both as query parameters), or null on the last page.' }) }) } });
  api.json({ method: 'get', path: '/api/orgs/:orgId/leads/:leadId', tags, security: bearer, summary: 'One lead with its number, e-mail and notes (audited)', params: leadParams, responses: { 200: Lead } });
  api.json({ method: 'patch', path: '/api/orgs/:orgId/leads/:leadId', tags, security: bearer, summary: 'Correct a lead (Art. 16; owner, admin): its keyed hashes are recomputed; audited as lead.updated', params: leadParams, body: correctionBody, responses: { 200: Lead }, errors: [409] });

  const form = (schema: z.ZodType) => ({ 'application/x-www-form-urlencoded': schema });
  const twilio = [SECURITY.twilio];
  const twilioErrors = [400, 403, 413, 500];
  api.json({ method: 'post', path: '/webhooks/twilio/voice', tags: twilioTags, security: twilio, summary: 'Twilio: an incoming call', bodyContent: form(voiceParams), responses: { 200: twiml }, errors: twilioErrors, replaceErrors: true });
  api.json({ method: 'post', path: '/webhooks/twilio/consent', tags: twilioTags, security: twilio, summary: 'Twilio: the caller\'s keypad answer to the consent question', query: consentQuery, bodyContent: form(consentParams), responses: { 200: twiml }, errors: twilioErrors, replaceErrors: true });
  api.json({ method: 'post', path: '/webhooks/twilio/status', tags: twilioTags, security: twilio, summary: 'Twilio: a call status callback', bodyContent: form(statusParams), responses: { 204: null }, errors: twilioErrors, replaceErrors: true });
  api.json({ method: 'post', path: '/webhooks/twilio/recording', tags: twilioTags, security: twilio, summary: 'Twilio: a recording status callback', bodyContent: form(recordingParams), responses: { 204: null }, errors: twilioErrors, replaceErrors: true });

  api.json({
    method: 'post',
    path: '/webhooks/elevenlabs/post-call',
    tags: twilioTags,
    security: [SECURITY.elevenLabs],
    summary: 'ElevenLabs: the post-call transcript webhook (verified over the raw body; replays refused)',
    bodyContent: { 'application/json': z.looseObject({ type: z.string(), data: z.looseObject({}) }) },
    responses: {
      200: z.union([
        z.object({ status: z.enum(['stored', 'discarded_no_consent']), call_id: uuid }),
        z.object({ status: z.literal('ignored'), reason: z.string() }),
      ]),
    },
    errors: [400, 401, 409, 413, 500],
    replaceErrors: true,
  });
  api.json({
    method: 'post',
    path: STOP_RECORDING_PATH,
    tags: twilioTags,
    security: [SECURITY.stopRecording],
    summary: "The agents' stop_recording tool: the caller withdraws consent mid-call",
    bodyContent: { 'application/json': withdrawalBody },
    responses: { 200: z.object({ status: z.literal('recording_stopped'), message: z.string() }) },
    description: '409 once the call has ended, and for a replay of an accepted call.',
    errors: [400, 401, 409, 413, 500],
    replaceErrors: true,
  });
};
