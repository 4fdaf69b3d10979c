import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import twilio from 'twilio';

/**
 * The load generator of `npm run bench -- incoming`, in a process of its own
 * (forked by the bench, told what to load over IPC). Every request is a new
 * call signed as Twilio signs it; it keeps the CallSid of every call answered
 * with the keypad-consent prompt, so the bench can check each one is stored.
 */
export interface LoadRequest {
  type: 'run';
  port: number;
  seconds: number;
  connections: number;
  /** The URL Twilio signs (PUBLIC_BASE_URL + path). */
  signedUrl: string;
  authToken: string;
  accountSid: string;
  to: string;
}

export interface LoadReport {
  type: 'result';
  rps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** CallSids of the calls answered 200 with a Gather (the consent prompt). */
  answered: string[];
  /** 200 answers that were not the consent prompt. */
  otherAnswers: number;
  /** This process's event-loop utilisation over the round. */
  busy: number;
}

async function run(r: LoadRequest): Promise<LoadReport> {
  const answered: string[] = [];
  let otherAnswers = 0;
  const elu = performance.eventLoopUtilization();
  const result = await autocannon({
    url: `http://127.0.0.1:${r.port}`,
    method: 'POST',
    connections: r.connections,
    duration: r.seconds,
    requests: [
      {
        // Signed on the fly (a pool of pre-signed calls grows the heap and the GC pauses).
        setupRequest: (req, context) => {
          const params = {
            CallSid: `CA${randomBytes(16).toString('hex')}`,
            AccountSid: r.accountSid,
            From: `+4930${randomInt(10_000_000, 99_999_999)}`,
            To: r.to,
            FromCountry: 'DE',
            CallStatus: 'ringing',
            Direction: 'inbound',
          };
          (context as { sid?: string }).sid = params.CallSid;
          return {
            ...req,
            path: '/webhooks/twilio/voice',
            body: new URLSearchParams(params).toString(),
            headers: {
              ...req.headers,
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': twilio.getExpectedTwilioSignature(r.authToken, r.signedUrl, params),
            },
          };
        },
        onResponse: (status, body, context) => {
          if (status !== 200) return;
          if (body.includes('<Gather')) answered.push((context as { sid: string }).sid);
          else otherAnswers += 1;
        },
      },
    ],
  });
  return {
    type: 'result',
    rps: result.requests.average,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    answered,
    otherAnswers,
    busy: performance.eventLoopUtilization(elu).utilization,
  };
}

if (process.send) {
  process.on('message', (m: LoadRequest) => {
    if (m.type !== 'run') return;
    run(m).then(
      (report) => process.send!(report),
      (err: unknown) => process.send!({ type: 'error', message: String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}
