/**
 * SSO benchmark: signed SAML responses validated per second on the ACS endpoint, end to end
 * (HTTP, signature and conditions, replay guard, account update, session, audit), by one
 * Maillon process. Every response answers a real AuthnRequest of Maillon's and carries a
 * unique assertion, signed beforehand so that the IdP's work is not measured.
 *
 *   npm run bench:saml                                 # both engines
 *   npm run bench:saml -- --engine pglite --logins 3000 --users 500 --connections 16
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { ADMIN_URL, arg, freshTarget, enginesToRun, startServer, stopServer } from './support.js';
import { TestIdp, writeIdpConfig } from '../test/support/samlIdp.js';

const LOGINS = Number(arg('logins', '3000'));
const USERS = Number(arg('users', '500'));
const CONNECTIONS = Number(arg('connections', '16'));

interface Figures {
  engine: string;
  logins: number;
  loginsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  signingSeconds: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<Figures> {
  const target = await freshTarget(engine, ADMIN_URL);
  const idp = await TestIdp.start('ac-bench');
  try {
    const config = await writeIdpConfig(target.dataDir, [{ idp, name: 'Académie de banc d’essai', academy: 'poitiers' }]);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const base = `http://127.0.0.1:${port}`;
    const server = await startServer({
      ...target.env,
      PORT: String(port),
      BASE_URL: base,
      SAML_IDP_CONFIG: config,
      LOGIN_RATE_LIMIT: '100000',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
    });
    try {
      const sp = { acs: `${base}/auth/saml/ac-bench/acs`, audience: `${base}/auth/saml/ac-bench/metadata` };
      // Outstanding requests, as many logins started by browsers would leave.
      const requestIds: string[] = [];
      for (let i = 0; i < LOGINS; i++) {
        const res = await fetch(`${base}/auth/saml/start?idp=ac-bench`, { redirect: 'manual' });
        const location = new URL(res.headers.get('location')!);
        const xml = zlib.inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString();
        requestIds.push(/ID="([^"]+)"/.exec(xml)![1]!);
      }
      const signingStarted = performance.now();
      const bodies = requestIds.map((id, i) => {
        const n = i % USERS;
        const xml = idp.buildResponse({
          ...sp,
          inResponseTo: id,
          nameId: `bench-${n}`,
          attributes: {
            ctemail: `personne${n}@ac-poitiers.fr`,
            ctfn: 'Prénom',
            ctln: `Nom${n}`,
            FrEduRne: `${String(860000 + (n % 50)).padStart(7, '0')}A$UAJ$PU$ENS$0860001A$T3$CLG$340`,
            FrEduFonctAdm: 'ENS',
          },
        });
        return new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: '/' }).toString();
      });
      const signingSeconds = (performance.now() - signingStarted) / 1000;

      const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
      const latencies: number[] = [];
      let errors = 0;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++]!;
            const t0 = performance.now();
            const res = await postForm(sp.acs, body, agent);
            latencies.push(performance.now() - t0);
            if (res.status !== 303 || !res.cookie.includes('maillon.sid=')) errors++;
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      return {
        engine,
        logins: bodies.length,
        loginsPerSecond: Math.round(bodies.length / seconds),
        p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
        p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
        errors,
        signingSeconds: Math.round(signingSeconds * 10) / 10,
      };
    } finally {
      await stopServer(server);
    }
  } finally {
    await idp.close();
    await target.cleanup();
    await fs.rm(path.join(target.dataDir), { recursive: true, force: true });
  }
}

function postForm(url: string, body: string, agent: http.Agent): Promise<{ status: number; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rows: Figures[] = [];
for (const engine of await enginesToRun(ADMIN_URL)) {
  console.log(`… ${engine} : ${LOGINS} réponses signées, ${USERS} personnes, ${CONNECTIONS} connexions simultanées`);
  rows.push(await benchEngine(engine));
}
console.log('\nConnexions SAML validées sur l’ACS (un processus)');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    connexions: r.logins,
    'connexions/s': r.loginsPerSecond,
    'p50 (ms)': r.p50Ms,
    'p99 (ms)': r.p99Ms,
    erreurs: r.errors,
    'signature du lot (s)': r.signingSeconds,
  })),
);
console.log(JSON.stringify(rows));
