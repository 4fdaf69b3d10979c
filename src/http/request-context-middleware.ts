import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipPrefix } from '../lib/crypto.js';
import { requestLog } from '../lib/logger.js';
import { runWithContext } from '../lib/request-context.js';

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives each request an id (a caller's well-formed X-Request-Id is kept), runs
 * the rest of the request inside that context and logs one line when it ends:
 * method, path without the query string (it may carry tokens), status, time.
 */
export const requestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', requestId);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    requestLog.info(
      {
        request_id: requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
  runWithContext({ requestId, ip: ipPrefix(req.ip) }, next);
};
