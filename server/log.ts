import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs. Secrets never reach them: cookies, authorisation headers and anything
 * that looks like a session id or a password are redacted at the source.
 */
export function createLogger(level: string, options: { buffered?: boolean } = {}): Logger {
  // A synchronous write per line costs a system call per request; buffered writes are
  // flushed every 4 KiB, on a timer and when the process stops (see main.ts).
  const destination = options.buffered ? pino.destination({ dest: 1, sync: false, minLength: 4096 }) : pino.destination(1);
  if (options.buffered) {
    const timer = setInterval(() => destination.flush(), 1000);
    timer.unref();
    process.once('exit', () => destination.flushSync());
  }
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
  }, destination);
}
