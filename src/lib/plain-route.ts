import type { IncomingMessage } from 'node:http';

/** What a route served ahead of Express answers: written in one `writeHead` and `end`. */
export interface PlainAnswer {
  status: number;
  contentType?: string;
  body?: string;
  /** Work to do once the answer is on its way (it must not delay the caller). */
  after?: () => Promise<void>;
}

/** The request as a route ahead of Express sees it: the raw message, its path and its query string. */
export interface PlainRequest {
  raw: IncomingMessage;
  /** The request target as received (path and query string): what a signature covers. */
  url: string;
  path: string;
  query: string;
}

export interface AheadRoute {
  method: 'POST';
  path: string;
  handle(req: PlainRequest): Promise<PlainAnswer>;
}
