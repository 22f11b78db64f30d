import helmet from 'helmet';
import type { RequestHandler } from 'express';

/** Origins a form may lead to besides Maillon: the académie IdPs (login start and logout redirect there). */
export type FormActionOrigins = () => string[];

/**
 * HTTP security headers. The Content-Security-Policy allows no inline script or style: every
 * script and stylesheet is a file under /static, and user content is sanitised HTML.
 */
export function securityHeaders(production: boolean, formActionOrigins: FormActionOrigins = () => []): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        mediaSrc: ["'self'", 'https:'],
        objectSrc: ["'none'"],
        frameSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        // Chromium applies form-action to the redirects that follow a form submission too.
        formAction: ["'self'", () => formActionOrigins().join(' ')],
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Over plain http (development), HSTS would lock a browser out of localhost.
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}
