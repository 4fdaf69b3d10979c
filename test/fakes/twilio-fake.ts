/**
 * A small local fake of the Twilio REST API (api.twilio.com, version 2010-04-01) for tests.
 *
 * It answers the endpoints our server uses with complete resources shaped like the published
 * description (twilio/twilio-oai, spec/json/twilio_api_v2010.json; see docs/providers.md): call recordings (create, fetch, update,
 * delete, media file), messages (create) and calls (fetch, update). Point the real `twilio` SDK at
 * it with `createTwilioClient({ ..., apiBaseUrl: fake.url })` from src/providers/twilio-client.ts.
 *
 * Recordings move as Twilio's do: a stopped recording is processed and becomes `completed`
 * (after `recordingProcessingMs`), as does every active recording of a call that ends. Each
 * status change is logged with its time (`recordingStatusChanges`, `FakeRecording.stoppedAt`),
 * and each recording status callback Twilio would send (`in-progress` and `completed` by
 * subscription, `completed` by default) is logged in `statusCallbacks`; with
 * `deliverStatusCallbacks` it is also POSTed, signed with X-Twilio-Signature.
 * Deleting an in-progress recording is not refused: no published evidence says Twilio does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import twilio from 'twilio';

/** A form field as Twilio receives it: repeated keys (e.g. RecordingStatusCallbackEvent) become arrays. */
export type FormValue = string | string[];

/** One HTTP request the fake received, in arrival order. */
export interface TwilioFakeRequest {
  method: string;
  /** Path without the query string, e.g. /2010-04-01/Accounts/AC.../Messages.json */
  path: string;
  query: Record<string, FormValue>;
  /** Body parsed from application/x-www-form-urlencoded ({} when empty). */
  body: Record<string, FormValue>;
  headers: IncomingHttpHeaders;
}

export type RecordingStatus = 'in-progress' | 'paused' | 'stopped' | 'processing' | 'completed' | 'absent';

/** A call recording held by the fake. Mutate `status`/`duration` freely to simulate progress. */
export interface FakeRecording {
  sid: string;
  accountSid: string;
  callSid: string;
  conferenceSid: string | null;
  status: RecordingStatus;
  /** 1 (mono) or 2 (dual). */
  channels: number;
  source: string;
  track: string;
  /** Seconds as a string (Twilio's format), null until the recording has ended. */
  duration: string | null;
  statusCallback: string | null;
  statusCallbackMethod: string;
  statusCallbackEvents: string[];
  trim: string;
  dateCreated: Date;
  dateUpdated: Date;
  startTime: Date;
  /** When recording stopped (Status=stopped through the API, or the call ended); unset while it records. */
  stoppedAt?: Date | null;
}

/** A recording's status change, in order (`to: 'deleted'` when deleted through the API). */
export interface RecordingStatusChange {
  sid: string;
  callSid: string;
  from: RecordingStatus | null;
  to: RecordingStatus | 'deleted';
  at: Date;
  /** What caused it. */
  via: 'api' | 'call-ended' | 'processing' | 'test';
}

/** A recording status callback Twilio sends (and the fake logs, and delivers when asked to). */
export interface RecordingStatusCallback {
  url: string;
  method: string;
  params: Record<string, string>;
  at: Date;
  /** Set once delivered: the HTTP status of the answer, or the transport error. */
  result?: { status: number } | { error: string };
}

/** A message (SMS) created through the fake. */
export interface FakeMessage {
  sid: string;
  accountSid: string;
  to: string;
  /** The sender number; null when only MessagingServiceSid was given. */
  from: string | null;
  body: string;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  status: 'queued' | 'accepted';
  dateCreated: Date;
}

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

/** A call known to the fake. Calls are created on first reference by sid (as if Twilio had placed them). */
export interface FakeCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api' | 'outbound-dial';
  status: CallStatus;
  /** Every TwiML document posted to this call through "update a call", oldest first. */
  twiml: string[];
  /** Every redirect URL posted to this call through "update a call", oldest first. */
  urls: string[];
  dateCreated: Date;
  dateUpdated: Date;
  startTime: Date;
  endTime: Date | null;
}

export interface TwilioFake {
  /** Base URL of the fake, e.g. http://127.0.0.1:54321 (no trailing slash). */
  url: string;
  /** The AccountSid the fake serves (opts.accountSid or a generated one). */
  accountSid: string;
  /** Every request received, including failed and rejected ones. */
  requests: TwilioFakeRequest[];
  /** Live recordings by sid (deleted ones are removed and listed in deletedRecordings). */
  recordings: Map<string, FakeRecording>;
  /** Sids of recordings deleted through the API, in order. */
  deletedRecordings: string[];
  /** Every recording status change, in order. */
  recordingStatusChanges: RecordingStatusChange[];
  /** Every recording status callback Twilio would send, in order. */
  statusCallbacks: RecordingStatusCallback[];
  /** Resolves when every status callback delivery under way has finished. */
  flushStatusCallbacks(): Promise<void>;
  messages: FakeMessage[];
  calls: Map<string, FakeCall>;
  /** The next n API requests answer 500 ('500') or never answer until the client gives up ('timeout'). */
  failNext(n: number, mode: '500' | 'timeout'): void;
  /** Forget all requests, recordings, messages, calls and pending failures. */
  reset(): void;
  /** Deterministic bytes of a recording's media file (WAV by default). */
  recordingMedia(sid: string, format?: 'wav' | 'mp3'): Buffer;
  /** Register a call (returns it); unknown call sids are also registered on first use. */
  addCall(sid?: string, init?: Partial<Omit<FakeCall, 'sid'>>): FakeCall;
  /** Mark a recording completed with the given duration, as Twilio does when the call ends. */
  completeRecording(sid: string, durationSecs?: number): FakeRecording;
  /** Serve `bytes` bytes of generated media (generatedMedia) for this recording, streamed, instead of recordingMedia's. */
  setRecordingMediaSize(sid: string, bytes: number): void;
  close(): Promise<void>;
}

/**
 * `bytes` deterministic bytes for a recording (a 64 KiB block derived from the sid, each
 * copy stamped with its index), produced chunk by chunk: a large recording is never held whole.
 */
export function generatedMedia(sid: string, bytes: number): Readable {
  const block = Buffer.alloc(64 * 1024);
  let seed = createHash('sha256').update(`large:${sid}`).digest();
  for (let off = 0; off < block.length; off += seed.length) {
    seed.copy(block, off);
    seed = createHash('sha256').update(seed).digest();
  }
  let sent = 0;
  let index = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, bytes - sent)));
      if (chunk.length >= 8) chunk.writeBigUInt64BE(BigInt(index), 0);
      index += 1;
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

const API_VERSION = '2010-04-01';
const SID_HEX = '[0-9a-f]{32}';

/** Starts the fake on 127.0.0.1 with an ephemeral port. Basic auth is enforced only when authToken is given. */
export async function startTwilioFake(
  opts: {
    accountSid?: string;
    authToken?: string;
    /** POST recording status callbacks to their URLs (default false: logged only; tests' public URLs are not reachable). */
    deliverStatusCallbacks?: boolean;
    /** How long a stopped recording takes to become `completed` (default 0: right after the stop is answered). */
    recordingProcessingMs?: number;
  } = {},
): Promise<TwilioFake> {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const strictAccount = opts.accountSid !== undefined;
  const requests: TwilioFakeRequest[] = [];
  const recordings = new Map<string, FakeRecording>();
  const deletedRecordings: string[] = [];
  const mediaSizes = new Map<string, number>();
  const recordingStatusChanges: RecordingStatusChange[] = [];
  const statusCallbacks: RecordingStatusCallback[] = [];
  const deliveries = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const messages: FakeMessage[] = [];
  const calls = new Map<string, FakeCall>();
  const hanging = new Set<ServerResponse>();
  let failures: { mode: '500' | 'timeout'; left: number } | null = null;
  let baseUrl = '';

  const base = (acc: string) => `/${API_VERSION}/Accounts/${acc}`;

  function addCall(sid?: string, init: Partial<Omit<FakeCall, 'sid'>> = {}): FakeCall {
    const now = new Date();
    const call: FakeCall = {
      sid: sid ?? newSid('CA'),
      accountSid,
      from: '+35315550100',
      to: '+35315550199',
      direction: 'inbound',
      status: 'in-progress',
      twiml: [],
      urls: [],
      dateCreated: now,
      dateUpdated: now,
      startTime: now,
      endTime: null,
      ...init,
    };
    calls.set(call.sid, call);
    return call;
  }

  function callFor(sid: string): FakeCall {
    return calls.get(sid) ?? addCall(sid);
  }

  function recordingJson(r: FakeRecording) {
    return {
      account_sid: r.accountSid,
      api_version: API_VERSION,
      call_sid: r.callSid,
      conference_sid: r.conferenceSid,
      date_created: rfc2822(r.dateCreated),
      date_updated: rfc2822(r.dateUpdated),
      start_time: rfc2822(r.startTime),
      duration: r.duration,
      sid: r.sid,
      price: r.status === 'completed' ? '-0.00250' : null,
      price_unit: 'USD',
      status: r.status,
      channels: r.channels,
      source: r.source,
      error_code: null,
      uri: `${base(r.accountSid)}/Recordings/${r.sid}.json`,
      encryption_details: null,
      subresource_uris: {
        add_on_results: `${base(r.accountSid)}/Recordings/${r.sid}/AddOnResults.json`,
        transcriptions: `${base(r.accountSid)}/Recordings/${r.sid}/Transcriptions.json`,
      },
      media_url: `${baseUrl}${base(r.accountSid)}/Recordings/${r.sid}`,
    };
  }

  function callRecordingJson(r: FakeRecording) {
    return {
      account_sid: r.accountSid,
      api_version: API_VERSION,
      call_sid: r.callSid,
      conference_sid: r.conferenceSid,
      date_created: rfc2822(r.dateCreated),
      date_updated: rfc2822(r.dateUpdated),
      start_time: rfc2822(r.startTime),
      duration: r.duration,
      sid: r.sid,
      price: r.status === 'completed' ? -0.0025 : null,
      uri: `${base(r.accountSid)}/Calls/${r.callSid}/Recordings/${r.sid}.json`,
      encryption_details: null,
      price_unit: 'USD',
      status: r.status,
      channels: r.channels,
      source: r.source,
      error_code: null,
      track: r.track,
    };
  }

  function messageJson(m: FakeMessage) {
    const created = rfc2822(m.dateCreated);
    return {
      body: m.body,
      num_segments: String(Math.max(1, Math.ceil(m.body.length / 160))),
      direction: 'outbound-api',
      from: m.from,
      to: m.to,
      date_updated: created,
      price: null,
      error_message: null,
      uri: `${base(m.accountSid)}/Messages/${m.sid}.json`,
      account_sid: m.accountSid,
      num_media: '0',
      status: m.status,
      messaging_service_sid: m.messagingServiceSid,
      sid: m.sid,
      date_sent: null,
      date_created: created,
      error_code: null,
      price_unit: 'USD',
      api_version: API_VERSION,
      subresource_uris: { media: `${base(m.accountSid)}/Messages/${m.sid}/Media.json` },
    };
  }

  function callJson(c: FakeCall) {
    const u = `${base(c.accountSid)}/Calls/${c.sid}`;
    const ended = c.endTime ?? null;
    return {
      sid: c.sid,
      date_created: rfc2822(c.dateCreated),
      date_updated: rfc2822(c.dateUpdated),
      parent_call_sid: null,
      account_sid: c.accountSid,
      to: c.to,
      to_formatted: c.to,
      from: c.from,
      from_formatted: c.from,
      phone_number_sid: `PN${createHash('sha256').update(c.to).digest('hex').slice(0, 32)}`,
      status: c.status,
      start_time: rfc2822(c.startTime),
      end_time: ended ? rfc2822(ended) : null,
      duration: ended ? String(Math.max(0, Math.round((ended.getTime() - c.startTime.getTime()) / 1000))) : null,
      price: null,
      price_unit: 'USD',
      direction: c.direction,
      answered_by: null,
      api_version: API_VERSION,
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: '0',
      trunk_sid: null,
      uri: `${u}.json`,
      subresource_uris: {
        notifications: `${u}/Notifications.json`,
        recordings: `${u}/Recordings.json`,
        payments: `${u}/Payments.json`,
        events: `${u}/Events.json`,
        siprec: `${u}/Siprec.json`,
        streams: `${u}/Streams.json`,
        transcriptions: `${u}/Transcriptions.json`,
        user_defined_message_subscriptions: `${u}/UserDefinedMessageSubscriptions.json`,
        user_defined_messages: `${u}/UserDefinedMessages.json`,
      },
    };
  }

  function recordingMedia(sid: string, format: 'wav' | 'mp3' = 'wav'): Buffer {
    const payload = Buffer.alloc(1600);
    let block = createHash('sha256').update(`media:${sid}`).digest();
    for (let off = 0; off < payload.length; off += block.length) {
      block.copy(payload, off);
      block = createHash('sha256').update(block).digest();
    }
    if (format === 'mp3') {
      // ID3v2.4 tag header (empty tag) followed by an MPEG-1 Layer III frame header and the payload.
      return Buffer.concat([
        Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
        Buffer.from([0xff, 0xfb, 0x50, 0xc4]),
        payload,
      ]);
    }
    // 8 kHz mono 16-bit PCM WAV, the format Twilio serves for the bare media URL.
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + payload.length, 4);
    header.write('WAVE', 8, 'ascii');
    header.write('fmt ', 12, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(8000, 24);
    header.writeUInt32LE(16000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(payload.length, 40);
    return Buffer.concat([header, payload]);
  }

  /** Moves a recording to `to`, logs the change and sends the callback its subscription asks for. */
  function setStatus(r: FakeRecording, to: RecordingStatus, via: RecordingStatusChange['via']): void {
    const from = r.status;
    const now = new Date();
    r.status = to;
    r.dateUpdated = now;
    if ((to === 'stopped' || (to === 'completed' && (from === 'in-progress' || from === 'paused'))) && !r.stoppedAt) {
      r.stoppedAt = now;
    }
    if ((to === 'stopped' || to === 'completed') && r.duration === null) {
      r.duration = String(Math.round((now.getTime() - r.startTime.getTime()) / 1000));
    }
    recordingStatusChanges.push({ sid: r.sid, callSid: r.callSid, from, to, at: now, via });
    if (to === 'in-progress' || to === 'completed' || to === 'absent') statusCallback(r, to);
  }

  function statusCallback(r: FakeRecording, event: 'in-progress' | 'completed' | 'absent'): void {
    if (!r.statusCallback || !(r.statusCallbackEvents ?? ['completed']).includes(event)) return;
    const params: Record<string, string> = {
      AccountSid: r.accountSid,
      CallSid: r.callSid,
      RecordingSid: r.sid,
      RecordingUrl: `${baseUrl}${base(r.accountSid)}/Recordings/${r.sid}`,
      RecordingStatus: event,
      RecordingDuration: event === 'in-progress' ? '-1' : (r.duration ?? '0'),
      RecordingChannels: String(r.channels),
      RecordingStartTime: rfc2822(r.startTime),
      RecordingSource: r.source,
      RecordingTrack: r.track,
    };
    const cb: RecordingStatusCallback = { url: r.statusCallback, method: (r.statusCallbackMethod ?? 'POST').toUpperCase(), params, at: new Date() };
    statusCallbacks.push(cb);
    if (opts.deliverStatusCallbacks) {
      const p = deliver(cb).finally(() => deliveries.delete(p));
      deliveries.add(p);
    }
  }

  async function deliver(cb: RecordingStatusCallback): Promise<void> {
    const url = cb.method === 'GET' ? `${cb.url}${cb.url.includes('?') ? '&' : '?'}${new URLSearchParams(cb.params)}` : cb.url;
    const headers: Record<string, string> = {};
    if (opts.authToken !== undefined) {
      headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(opts.authToken, url, cb.method === 'GET' ? {} : cb.params);
    }
    try {
      const res = await fetch(url, {
        method: cb.method,
        headers: cb.method === 'GET' ? headers : { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: cb.method === 'GET' ? undefined : new URLSearchParams(cb.params).toString(),
      });
      await res.arrayBuffer();
      cb.result = { status: res.status };
    } catch (err) {
      cb.result = { error: (err as Error).message };
    }
  }

  function completeRecording(sid: string, durationSecs = 42): FakeRecording {
    const r = recordings.get(sid);
    if (!r) throw new Error(`twilio fake: no recording ${sid}`);
    r.duration = String(durationSecs);
    setStatus(r, 'completed', 'test');
    return r;
  }

  /** Finds the recording a call-scoped path names; `Twilio.CURRENT` is the newest active one of the call. */
  function callRecording(callSid: string, sid: string): FakeRecording | undefined {
    if (sid === 'Twilio.CURRENT') {
      const active = [...recordings.values()].filter(
        (r) => r.callSid === callSid && (r.status === 'in-progress' || r.status === 'paused'),
      );
      return active[active.length - 1];
    }
    const r = recordings.get(sid);
    return r && r.callSid === callSid ? r : undefined;
  }

  function deleteRecording(r: FakeRecording, res: ServerResponse): void {
    recordings.delete(r.sid);
    deletedRecordings.push(r.sid);
    recordingStatusChanges.push({ sid: r.sid, callSid: r.callSid, from: r.status, to: 'deleted', at: new Date(), via: 'api' });
    return empty(res, 204);
  }

  function route(req: TwilioFakeRequest, res: ServerResponse): void {
    const { method, path, body } = req;
    const notFound = () => twilioError(res, 404, 20404, `The requested resource ${path} was not found`);

    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})(\/.*)$/.exec(path);
    if (!m) return notFound();
    const [, acc = '', rest = ''] = m;
    if (strictAccount && acc !== accountSid) return notFound();

    let p: RegExpExecArray | null;

    // Create a call recording.
    if ((p = new RegExp(`^/Calls/(CA${SID_HEX})/Recordings\\.json$`).exec(rest))) {
      if (method !== 'POST') return methodNotAllowed(res);
      const call = callFor(p[1]!);
      if (call.status !== 'in-progress') {
        return twilioError(res, 400, 21220, 'Call is not in-progress. Cannot start a recording.');
      }
      const now = new Date();
      const channels = field(body, 'RecordingChannels') ?? 'mono';
      const r: FakeRecording = {
        sid: newSid('RE'),
        accountSid: acc,
        callSid: call.sid,
        conferenceSid: null,
        status: 'in-progress',
        channels: channels === 'dual' ? 2 : 1,
        source: 'StartCallRecordingAPI',
        track: field(body, 'RecordingTrack') ?? 'both',
        duration: null,
        statusCallback: field(body, 'RecordingStatusCallback') ?? null,
        statusCallbackMethod: field(body, 'RecordingStatusCallbackMethod') ?? 'POST',
        statusCallbackEvents: list(body, 'RecordingStatusCallbackEvent', ['completed']),
        trim: field(body, 'Trim') ?? 'do-not-trim',
        dateCreated: now,
        dateUpdated: now,
        startTime: now,
      };
      recordings.set(r.sid, r);
      recordingStatusChanges.push({ sid: r.sid, callSid: r.callSid, from: null, to: 'in-progress', at: now, via: 'api' });
      statusCallback(r, 'in-progress');
      return json(res, 201, callRecordingJson(r));
    }

    // Fetch, update (pause/resume/stop) or delete a call-scoped recording.
    if ((p = new RegExp(`^/Calls/(CA${SID_HEX})/Recordings/(RE${SID_HEX}|Twilio\\.CURRENT)\\.json$`).exec(rest))) {
      const r = callRecording(p[1]!, p[2]!);
      if (!r) return notFound();
      if (method === 'GET') return json(res, 200, callRecordingJson(r));
      if (method === 'DELETE') return deleteRecording(r, res);
      if (method === 'POST') {
        const status = field(body, 'Status');
        if (status !== 'in-progress' && status !== 'paused' && status !== 'stopped') {
          return twilioError(res, 400, 20001, 'Invalid Status');
        }
        if (status === r.status) return json(res, 200, callRecordingJson(r));
        setStatus(r, status, 'api');
        json(res, 200, callRecordingJson(r));
        // Twilio then processes the stopped recording; it becomes `completed` and the
        // (default) `completed` status callback is sent.
        if (status === 'stopped') {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (recordings.get(r.sid) === r && r.status === 'stopped') setStatus(r, 'completed', 'processing');
          }, opts.recordingProcessingMs ?? 0);
          timers.add(timer);
        }
        return;
      }
      return methodNotAllowed(res);
    }

    // Recording resource (.json) and its media file (bare, .wav, .mp3).
    if ((p = new RegExp(`^/Recordings/(RE${SID_HEX})(\\.json|\\.wav|\\.mp3)?$`).exec(rest))) {
      const r = recordings.get(p[1]!);
      const ext = p[2];
      if (!r || r.accountSid !== acc) return notFound();
      if (ext === '.json') {
        if (method === 'GET') return json(res, 200, recordingJson(r));
        if (method === 'DELETE') return deleteRecording(r, res);
        return methodNotAllowed(res);
      }
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res);
      const mp3 = ext === '.mp3';
      const large = mediaSizes.get(r.sid);
      if (large !== undefined && !mp3) {
        res.writeHead(200, { 'content-type': 'audio/x-wav', 'content-length': large });
        if (method === 'HEAD') return void res.end();
        generatedMedia(r.sid, large).pipe(res);
        return;
      }
      const bytes = recordingMedia(r.sid, mp3 ? 'mp3' : 'wav');
      res.writeHead(200, { 'content-type': mp3 ? 'audio/mpeg' : 'audio/x-wav', 'content-length': bytes.length });
      res.end(method === 'HEAD' ? undefined : bytes);
      return;
    }

    // Send a message.
    if (rest === '/Messages.json') {
      if (method !== 'POST') return methodNotAllowed(res);
      const to = field(body, 'To');
      const from = field(body, 'From') ?? null;
      const messagingServiceSid = field(body, 'MessagingServiceSid') ?? null;
      const text = field(body, 'Body');
      if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
      if (!from && !messagingServiceSid) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
      if (!text && !field(body, 'MediaUrl') && !field(body, 'ContentSid')) {
        return twilioError(res, 400, 21602, 'Message body is required.');
      }
      const msg: FakeMessage = {
        sid: newSid('SM'),
        accountSid: acc,
        to,
        from,
        body: text ?? '',
        messagingServiceSid,
        statusCallback: field(body, 'StatusCallback') ?? null,
        status: messagingServiceSid ? 'accepted' : 'queued',
        dateCreated: new Date(),
      };
      messages.push(msg);
      return json(res, 201, messageJson(msg));
    }

    // Fetch or update a call.
    if ((p = new RegExp(`^/Calls/(CA${SID_HEX})\\.json$`).exec(rest))) {
      const call = callFor(p[1]!);
      if (method === 'GET') return json(res, 200, callJson(call));
      if (method !== 'POST') return methodNotAllowed(res);
      const status = field(body, 'Status');
      const twiml = field(body, 'Twiml');
      const url = field(body, 'Url');
      const ended = call.status === 'completed' || call.status === 'canceled' || call.status === 'failed';
      if ((twiml || url) && ended) {
        return twilioError(res, 400, 21220, 'Call is not in-progress. Cannot redirect.');
      }
      if (status !== undefined && status !== 'completed' && status !== 'canceled') {
        return twilioError(res, 400, 20001, 'Invalid Status');
      }
      if (twiml) call.twiml.push(twiml);
      if (url) call.urls.push(url);
      if (status && !ended) {
        call.status = status;
        call.endTime = new Date();
        for (const r of recordings.values()) {
          if (r.callSid === call.sid && (r.status === 'in-progress' || r.status === 'paused')) setStatus(r, 'completed', 'call-ended');
        }
      }
      call.dateUpdated = new Date();
      return json(res, 200, callJson(call));
    }

    return notFound();
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry: TwilioFakeRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(u.pathname),
        query: parseForm(u.searchParams),
        body: raw ? parseForm(new URLSearchParams(raw)) : {},
        headers: req.headers,
      };
      requests.push(entry);

      if (failures && failures.left > 0) {
        const mode = failures.mode;
        failures.left -= 1;
        if (failures.left === 0) failures = null;
        if (mode === 'timeout') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        return twilioError(res, 500, 20500, 'An internal server error has occurred');
      }

      // Basic auth user is the AccountSid (the one the fake serves, or the path's one when not pinned).
      const pathAccount = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\//.exec(entry.path)?.[1];
      const user = strictAccount ? accountSid : (pathAccount ?? accountSid);
      if (opts.authToken !== undefined && !authorized(req.headers.authorization, user, opts.authToken)) {
        res.setHeader('www-authenticate', 'Basic realm="Twilio API"');
        return twilioError(res, 401, 20003, 'Authentication Error - invalid username');
      }
      try {
        route(entry, res);
      } catch (err) {
        twilioError(res, 500, 20500, `twilio fake: ${(err as Error).message}`);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    accountSid,
    requests,
    recordings,
    deletedRecordings,
    recordingStatusChanges,
    statusCallbacks,
    async flushStatusCallbacks() {
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
    messages,
    calls,
    failNext(n: number, mode: '500' | 'timeout') {
      failures = n > 0 ? { mode, left: n } : null;
    },
    reset() {
      requests.length = 0;
      recordings.clear();
      deletedRecordings.length = 0;
      recordingStatusChanges.length = 0;
      statusCallbacks.length = 0;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      messages.length = 0;
      calls.clear();
      failures = null;
    },
    recordingMedia,
    addCall,
    completeRecording,
    setRecordingMediaSize(sid: string, bytes: number) {
      mediaSizes.set(sid, bytes);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const res of hanging) res.destroy();
      hanging.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function newSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** RFC 2822 date as Twilio writes it: "Fri, 14 Oct 2016 21:56:34 +0000". */
function rfc2822(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function parseForm(params: URLSearchParams): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function field(body: Record<string, FormValue>, key: string): string | undefined {
  const v = body[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function list(body: Record<string, FormValue>, key: string, dflt: string[]): string[] {
  const v = body[key];
  if (v === undefined) return dflt;
  // Twilio accepts both repeated keys and a space-separated list.
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
}

function authorized(header: string | undefined, user: string, token: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  return Buffer.from(m[1]!, 'base64').toString('utf8') === `${user}:${token}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function methodNotAllowed(res: ServerResponse): void {
  twilioError(res, 405, 20004, 'Method not allowed');
}
