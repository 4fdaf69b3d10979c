import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * The baseline of `npm run bench -- incoming`, in a process of its own as a
 * load balancer would see it: bare Express answering the voice webhook's route
 * with a fixed TwiML (the same Gather prompt our server answers a German caller
 * with), no middleware, no body read, no database. Tells its parent its port.
 */
export const FIXED_TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" numDigits="1"><Say language="de-DE">Bitte drücken Sie die 1.</Say></Gather></Response>';

if (process.send) {
  const app = express();
  app.post('/webhooks/twilio/voice', (_req, res) => {
    res.type('text/xml').send(FIXED_TWIML);
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.send!({ type: 'listening', port: (server.address() as AddressInfo).port });
  });
  process.on('disconnect', () => process.exit(0));
}
