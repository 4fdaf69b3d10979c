/**
 * Construction of the Twilio REST client (the official `twilio` SDK, v6).
 *
 * In production the SDK talks to the configured region and edge: it rewrites api.twilio.com into
 * api.{edge}.{region}.twilio.com (e.g. api.dublin.ie1.twilio.com) in BaseTwilio.getHostname.
 * When `apiBaseUrl` is set (a local fake in tests and development), every request the SDK makes
 * is sent to that origin instead, with path and query kept, through a RequestClient subclass.
 */
import twilio from 'twilio';
import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

export interface TwilioClientConfig {
  accountSid: string;
  authToken: string;
  /** Twilio region, e.g. ie1. */
  region: string;
  /** Twilio edge location, e.g. dublin. */
  edge: string;
  /** Send every SDK request to this base URL (e.g. http://127.0.0.1:PORT) instead of Twilio. */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A RequestClient that replaces the origin (scheme, host, port) of every request URI with the
 * given base URL, keeping path and query; a path in the base URL is prefixed to the request path.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  readonly #base: URL;

  constructor(baseUrl: string, opts?: RequestClient.RequestClientOptions) {
    super(opts);
    this.#base = new URL(baseUrl);
  }

  /** Rewrites `opts.uri` onto the base URL, then sends the request like the SDK's RequestClient. */
  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: rebase(opts.uri, this.#base) });
  }
}

/** Moves `uri` onto `base`: origin from base, path = base path + uri path, query and hash from uri. */
export function rebase(uri: string, base: URL): string {
  const src = new URL(uri);
  const out = new URL(base.href);
  out.pathname = `${base.pathname.replace(/\/+$/, '')}${src.pathname}`;
  out.search = src.search;
  out.hash = src.hash;
  return out.href;
}

/**
 * Creates the Twilio SDK client for our account: region/edge routing in production, or every
 * request sent to `cfg.apiBaseUrl` when that is set. 429 auto-retry stays off (our queue retries).
 */
export function createTwilioClient(cfg: TwilioClientConfig): Twilio {
  const timeout = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clientOpts: twilio.ClientOpts = {
    region: cfg.region,
    edge: cfg.edge,
    timeout,
    autoRetry: false,
  };
  if (cfg.apiBaseUrl) {
    clientOpts.httpClient = new BaseUrlRequestClient(cfg.apiBaseUrl, { timeout, autoRetry: false });
  }
  return twilio(cfg.accountSid, cfg.authToken, clientOpts);
}
