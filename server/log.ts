import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs. Secrets never reach them: cookies, authorisation headers and anything
 * that looks like a session id or a password are redacted at the source.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'maillon' },
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'res.headers["set-cookie"]',
        '*.password',
        '*.secret',
        '*.sessionSecret',
        '*.sid',
        '*.sessionId',
        '*.SAMLResponse',
      ],
      censor: '[masqué]',
    },
  });
}
