import helmet from 'helmet';

/**
 * The Content-Security-Policy of every HTML page we serve (the dashboard and
 * the public pages): scripts, styles, images and form posts from our own
 * origin only — no inline script or style, no `style=` or `on*=` attribute —
 * and no framing by another site.
 */
export function pageSecurityPolicy() {
  return helmet.contentSecurityPolicy({
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
  });
}
