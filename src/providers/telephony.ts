import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Twilio } from 'twilio';
import { logger } from '../lib/logger.js';
import { ProviderError } from './agent-platform.js';
import { createTwilioClient, type TwilioClientConfig } from './twilio-client.js';

/**
 * What the backend needs from the telephony provider (Twilio). Services depend
 * on this interface; `src/container.ts` picks Twilio when an account is
 * configured, otherwise (local mode only) a stand-in that records nothing.
 */
export interface Telephony {
  readonly name: 'twilio' | 'local';
  /** Starts recording a live call; Twilio reports on it to `statusCallbackUrl`. */
  startRecording(callSid: string, statusCallbackUrl: string): Promise<{ recordingSid: string }>;
  /**
   * Stops a call's recording (it then completes at Twilio and can be deleted).
   * A recording that is gone or no longer running counts as stopped.
   */
  stopRecording(callSid: string, recordingSid: string): Promise<'stopped' | 'not_running'>;
  /** 'not_found' counts as done. */
  deleteRecording(recordingSid: string): Promise<'deleted' | 'not_found'>;
  /** The recording's audio (WAV, `RECORDING_CONTENT_TYPE`), to compute its SHA-256 and for download. */
  fetchRecordingMedia(recordingSid: string): Promise<Buffer>;
  /**
   * The same audio as a stream, never held whole in memory (deliveries to customer
   * storage and downloads), with its length when the provider says it.
   */
  streamRecordingMedia(recordingSid: string): Promise<{ body: Readable; length: number | null }>;
  sendSms(to: string, body: string): Promise<void>;
}

/** The media type of `fetchRecordingMedia`'s audio (Twilio's `.wav`). */
export const RECORDING_CONTENT_TYPE = 'audio/wav';

function asProviderError(err: unknown): ProviderError {
  const e = err as { status?: number; message?: string; code?: string | number };
  const status = typeof e.status === 'number' ? e.status : undefined;
  // Twilio's messages name resources, not people; keep them short anyway.
  return new ProviderError('twilio', `Twilio request failed${status ? ` (${status})` : ''}: ${String(e.message ?? err).slice(0, 200)}`, status);
}

/** Twilio through its SDK, in the configured (EU) region and edge. */
export function createTwilioTelephony(cfg: TwilioClientConfig & { smsFrom?: string }): Telephony {
  const client: Twilio = createTwilioClient(cfg);
  const apiBase = cfg.apiBaseUrl?.replace(/\/+$/, '') ?? `https://api.${cfg.edge}.${cfg.region}.twilio.com`;
  const auth = `Basic ${Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64')}`;
  return {
    name: 'twilio',
    async startRecording(callSid, statusCallbackUrl) {
      try {
        const rec = await client.calls(callSid).recordings.create({
          recordingStatusCallback: statusCallbackUrl,
          recordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
          recordingStatusCallbackMethod: 'POST',
          recordingChannels: 'dual',
        });
        return { recordingSid: rec.sid };
      } catch (err) {
        throw asProviderError(err);
      }
    },
    async stopRecording(callSid, recordingSid) {
      try {
        await client.calls(callSid).recordings(recordingSid).update({ status: 'stopped' });
        return 'stopped';
      } catch (err) {
        const e = asProviderError(err);
        // 404: no such recording (any more); another 4xx: Twilio will not change its
        // status because it is no longer running (stopped, completed, absent).
        // Outages (5xx, 429, timeouts) are thrown for the caller to retry.
        if (!e.retryable) return 'not_running';
        throw e;
      }
    },
    async deleteRecording(recordingSid) {
      try {
        await client.recordings(recordingSid).remove();
        return 'deleted';
      } catch (err) {
        const e = asProviderError(err);
        if (e.status === 404) return 'not_found';
        throw e;
      }
    },
    async fetchRecordingMedia(recordingSid) {
      // Always from our own account's API, never from a URL a request handed us.
      const url = `${apiBase}/2010-04-01/Accounts/${cfg.accountSid}/Recordings/${encodeURIComponent(recordingSid)}.wav`;
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization: auth }, signal: AbortSignal.timeout(cfg.timeoutMs ?? 30_000) });
      } catch (err) {
        throw new ProviderError('twilio', `recording download failed: ${(err as Error).name}`);
      }
      if (!res.ok) throw new ProviderError('twilio', `recording download failed (${res.status})`, res.status);
      return Buffer.from(await res.arrayBuffer());
    },
    async streamRecordingMedia(recordingSid) {
      const url = `${apiBase}/2010-04-01/Accounts/${cfg.accountSid}/Recordings/${encodeURIComponent(recordingSid)}.wav`;
      // The timeout covers the answer's headers; the body may take as long as its size needs.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), cfg.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await fetch(url, { headers: { authorization: auth }, signal: controller.signal });
      } catch (err) {
        throw new ProviderError('twilio', `recording download failed: ${(err as Error).name}`);
      } finally {
        clearTimeout(timer);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new ProviderError('twilio', `recording download failed (${res.status})`, res.status);
      }
      const length = Number(res.headers.get('content-length'));
      return { body: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), length: Number.isSafeInteger(length) && length >= 0 && res.headers.has('content-length') ? length : null };
    },
    async sendSms(to, body) {
      if (!cfg.smsFrom) throw new ProviderError('twilio', 'no sender number configured for SMS (TWILIO_SMS_FROM)');
      try {
        await client.messages.create({ to, from: cfg.smsFrom, body });
      } catch (err) {
        throw asProviderError(err);
      }
    },
  };
}

/**
 * Local mode's stand-in for a recording: a real WAV file (8 kHz, 16-bit PCM, mono,
 * two seconds of a tone whose pitch comes from the recording SID), the same bytes
 * every time for the same SID, as a stored recording would be. So fingerprinting and
 * downloading work offline, and a downloaded file can be checked against its SHA-256.
 */
export function localRecordingWav(recordingSid: string): Buffer {
  const rate = 8000;
  const samples = rate * 2;
  const seed = createHash('sha256').update(recordingSid).digest();
  const hz = 300 + (seed.readUInt16BE(0) % 500);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // PCM header size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return wav;
}

/**
 * Local mode without a Twilio account: nothing is recorded or sent. It exists
 * so `npm start` and the call simulator work offline; the log says what a real
 * account would have done (without numbers or message text). A recording's audio
 * is `localRecordingWav`'s stand-in file.
 */
export function createLocalTelephony(): Telephony {
  return {
    name: 'local',
    async startRecording() {
      const recordingSid = `RE${randomBytes(16).toString('hex')}`;
      logger.info({ recording_sid: recordingSid }, 'local mode: a Twilio account would start recording this call now');
      return { recordingSid };
    },
    async stopRecording() {
      return 'not_running';
    },
    async deleteRecording() {
      return 'not_found';
    },
    async fetchRecordingMedia(recordingSid) {
      if (!/^RE[0-9a-f]{32}$/i.test(recordingSid)) throw new ProviderError('twilio', 'recording download failed (404)', 404);
      return localRecordingWav(recordingSid);
    },
    async streamRecordingMedia(recordingSid) {
      const audio = await this.fetchRecordingMedia(recordingSid);
      return { body: Readable.from([audio]), length: audio.length };
    },
    async sendSms() {
      logger.warn('local mode: no Twilio account, the SMS was not sent');
    },
  };
}
