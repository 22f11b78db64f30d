/**
 * A local SMTP sink in a process of its own, so that receiving mail does not compete with
 * Maillon's event loop during `bench:jobs`. Tells its port, then answers count requests (IPC).
 */
import { startSmtpSink } from '../test/support/smtpSink.js';

const sink = await startSmtpSink({ raw: true });
process.send!({ port: sink.port });
process.on('message', (message: string) => {
  if (message === 'count') process.send!({ count: sink.count });
  if (message === 'stop') void sink.close().then(() => process.exit(0));
});
