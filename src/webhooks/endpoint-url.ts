import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { UnprocessableError } from '../lib/errors.js';

/**
 * Where customer webhooks may go. In production: https:// only, no user name or
 * password in the URL, and only public (unicast) addresses, checked when the
 * endpoint is registered and again at every connection (DNS may change), so an
 * endpoint cannot be pointed at this server's own network. WEBHOOKS_ALLOW_PRIVATE_NETWORK
 * lifts the address and scheme rules (local mode). The database checks every
 * write of a URL with the same rules (app.webhook_url_refusal, in the
 * data_api_invariants migration), so a URL written through Supabase's Data API
 * is held to them too.
 */
export interface EndpointPolicy {
  allowPrivateNetwork: boolean;
}

/** IPv6 global unicast: anything else (IPv4-compatible ::a.b.c.d included) is not a public address. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * True when the address is public unicast (not loopback, private, link-local, reserved …).
 * An IPv4-mapped IPv6 address counts as its IPv4 address; any other IPv6 address
 * must be global unicast (2000::/3) outside the special-purpose blocks.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  if (ip.range() !== 'unicast') return false;
  return ip.kind() === 'ipv4' || ip.match(GLOBAL_UNICAST_V6);
}

// A DNS name of ASCII labels whose last label starts with a letter (so no URL
// parser reads it as an IPv4 address); one trailing dot allowed.
const DNS_NAME = /^(?:[a-z0-9_-]{1,63}\.)+[a-z][a-z0-9_-]{0,62}\.?$/;

function refuse(message: string): never {
  throw new UnprocessableError('webhook_url_refused', message);
}

/** Checks a URL given for an endpoint; returns it normalised, or throws 422 `webhook_url_refused`. */
export function checkEndpointUrl(raw: string, policy: EndpointPolicy): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuse('The webhook URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivateNetwork && url.protocol === 'http:')) {
    refuse('The webhook URL must use https://.');
  }
  if (url.username || url.password) refuse('The webhook URL must not carry a user name or password.');
  if (url.hash || url.href.includes('#')) refuse('The webhook URL must not have a #fragment.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivateNetwork) {
    const publicHost =
      net.isIP(host) !== 0
        ? isPublicAddress(host)
        : host.length <= 254 && DNS_NAME.test(host) && !/(^|\.)localhost\.?$/.test(host);
    if (!publicHost) refuse('The webhook URL must point at a public address, not at a loopback, private or reserved one.');
  }
  return url.toString();
}

/**
 * A dns.lookup for outgoing webhook connections that refuses non-public
 * addresses (unless the policy allows them), so the check holds for the address
 * actually connected to.
 */
export function guardedLookup(policy: EndpointPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const allowed = policy.allowPrivateNetwork ? list : list.filter((a) => isPublicAddress(a.address));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves to no public address`), { code: 'EADDRNOTPUBLIC' });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
