import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SinkOptions {
  /** Listen on this port (to bring back a server that was unreachable). */
  port?: number;
  /** Refuse these recipients with a permanent 550. */
  reject?: (address: string) => boolean;
  /** Refuse these recipients with a temporary 451 (the sender should retry later). */
  tempfail?: (address: string) => boolean;
  /** Keep raw messages only (benchmarks: parsing costs more than sending). */
  raw?: boolean;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ParsedMail[];
  count: number;
  /** Resolves once `n` messages have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real SMTP server on a free port of 127.0.0.1 that keeps what it receives. */
export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    // Pooled client connections stay open: do not wait for them when the test is over.
    closeTimeout: 200,
    onRcptTo(address, _session, callback) {
      if (options.reject?.(address.address)) {
        const error = new Error('Boîte aux lettres inconnue') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      if (options.tempfail?.(address.address)) {
        const error = new Error('Essayez plus tard') as Error & { responseCode: number };
        error.responseCode = 451;
        return callback(error);
      }
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const done = () => {
          count++;
          for (const w of waiters.filter((w) => count >= w.n)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
          callback();
        };
        if (options.raw) return done();
        simpleParser(Buffer.concat(chunks)).then((m) => {
          messages.push(m);
          done();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  // A client that dies mid-conversation (a killed worker) resets its socket: not the sink's failure.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get count() {
      return count;
    },
    waitFor(n, timeoutMs = 20_000) {
      if (count >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${count} courriels reçus sur ${n} attendus`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port where nothing listens (to play an unreachable SMTP server). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
