/**
 * Construction of the ElevenLabs client (the official `@elevenlabs/elevenlabs-js` SDK).
 *
 * Every call goes to `cfg.baseUrl` (the EU residency endpoint in production, a local fake in
 * tests). The SDK's own retries are off: our job queue retries failed provider calls.
 */
import { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';

export interface ElevenLabsClientConfig {
  /** API key sent as xi-api-key. Without one, requests go out with an empty key (and are refused). */
  apiKey?: string | undefined;
  /** Base URL, e.g. https://api.eu.residency.elevenlabs.io or http://127.0.0.1:PORT. */
  baseUrl: string;
  /** Per-request timeout in seconds (default 10). */
  timeoutInSeconds?: number | undefined;
}

const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * Global fetch that reports the SDK's timeout as an AbortError. The SDK aborts timed-out
 * requests with the reason "timeout" (a string); Node's fetch then rejects with that string,
 * which the SDK turns into a plain ElevenLabsError('"timeout"') instead of ElevenLabsTimeoutError.
 */
export const fetchWithAbortErrors: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (err) {
    if (init?.signal?.aborted && !(err instanceof Error)) {
      throw new DOMException(`The operation was aborted: ${String(err)}`, 'AbortError');
    }
    throw err;
  }
};

/**
 * Creates the ElevenLabs SDK client that sends every request to `cfg.baseUrl`, with a
 * ~10 s timeout and no SDK-level retries (maxRetries 0). Timeouts surface as ElevenLabsTimeoutError.
 */
export function createElevenLabsClient(cfg: ElevenLabsClientConfig): ElevenLabsClient {
  return new ElevenLabsClient({
    // The SDK constructor throws without a key (it falls back to ELEVENLABS_API_KEY only when
    // the option is undefined); our config is the single source, so pass an explicit value.
    apiKey: cfg.apiKey ?? '',
    baseUrl: cfg.baseUrl.replace(/\/+$/, ''),
    timeoutInSeconds: cfg.timeoutInSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    maxRetries: 0,
    fetch: fetchWithAbortErrors,
  });
}
