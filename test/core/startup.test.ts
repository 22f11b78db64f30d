import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { ROOT, csrfFrom } from '../support/testApp.js';
import { createScratchDatabase, ENGINE } from '../support/engine.js';
import { productionSamlEnv } from '../support/samlIdp.js';

const MAIN = path.join(ROOT, 'server', 'main.ts');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `server/main.ts` as `npm start` does, and waits for the URL it prints. */
function startServer(env: Record<string, string>): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`pas de démarrage en 60 s :\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Maillon est prêt : (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!.replace('localhost', '127.0.0.1'), output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`arrêt inattendu (code ${code}) :\n${output}`));
    });
  });
}

function stopServer(running: Running): Promise<number | null> {
  return new Promise((resolve) => {
    running.child.removeAllListeners('exit');
    running.child.on('exit', (code) => resolve(code));
    running.child.kill('SIGTERM');
  });
}

/** Runs main.ts expecting it to refuse to start; returns its exit code and what it printed. */
function refusedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: '0', ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe(`npm start, as a real process (${ENGINE})`, function () {
  this.timeout(120_000);
  let dataDir: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-start-'));
    scratch = await createScratchDatabase();
    env = { DATA_DIR: dataDir, ...(scratch ? { DATABASE_URL: scratch.url } : {}) };
  });
  after(async () => {
    await scratch?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo once, keeps data and sessions across a restart', async () => {
    const first = await startServer(env);
    const health = await supertest(first.url).get('/healthz').expect(200);
    expect(health.body.database.engine).to.equal(ENGINE);
    if (ENGINE === 'pglite') expect(await fs.stat(path.join(dataDir, 'pglite'))).to.be.ok;

    const client = supertest.agent(first.url);
    const page = await client.get('/auth/dev').expect(200);
    await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: 'admin', next: '/admin/users' }).expect(303);
    const users = await client.get('/admin/users').expect(200);
    expect(users.text).to.contain('13 comptes trouvés');
    const sophie = /href="\/admin\/users\/(\d+)">Sophie Martin/.exec(users.text)![1];
    const form = await client.get(`/admin/users/${sophie}`).expect(200);
    await client.post(`/admin/users/${sophie}/roles`).type('form').send(`_csrf=${csrfFrom(form.text)}&roles=enseignant&roles=rupn`).expect(303);
    expect(await stopServer(first)).to.equal(0);

    const second = await startServer(env);
    const again = supertest.agent(second.url);
    // Same cookie jar, new process: the session was kept in the database.
    (again as unknown as { jar: unknown }).jar = (client as unknown as { jar: unknown }).jar;
    const list = await again.get('/admin/users').query({ q: 'Sophie' }).expect(200);
    expect(list.text).to.match(/Sophie Martin[\s\S]*Enseignant, Référent numérique \(RUPN\)/);
    const all = await again.get('/admin/users').expect(200);
    expect(all.text, 'demo data seeded only once').to.contain('13 comptes trouvés');
    expect(await stopServer(second)).to.equal(0);
  });

  it('refuses to start in production without a session secret or an identity provider, naming them', async () => {
    const missing = await refusedStart({ ...env, NODE_ENV: 'production' });
    expect(missing.code).to.not.equal(0);
    expect(missing.output).to.contain('Maillon ne peut pas démarrer');
    expect(missing.output).to.contain('SESSION_SECRET');
    expect(missing.output).to.contain("aucun fournisseur d'identité");
    expect(missing.output).to.contain('SAML_SP_KEY');

    const emptyList = path.join(dataDir, 'idps.yaml');
    await fs.writeFile(emptyList, 'identityProviders: []\n');
    const none = await refusedStart({ ...env, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), BASE_URL: 'https://maillon.example', SAML_IDP_CONFIG: emptyList, SAML_SP_KEY: '/nulle/cle.pem', SAML_SP_CERT: '/nulle/cert.pem' });
    expect(none.code).to.not.equal(0);
    expect(none.output).to.contain("aucun fournisseur d'identité dans");

    const unreadable = await refusedStart({ ...env, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), BASE_URL: 'https://maillon.example', SAML_IDP_CONFIG: '/nulle/part.yaml', SAML_SP_KEY: '/nulle/cle.pem', SAML_SP_CERT: '/nulle/cert.pem' });
    expect(unreadable.code).to.not.equal(0);
    expect(unreadable.output).to.contain('illisible : /nulle/part.yaml');
  });

  it('refuses to start in production when an IdP’s metadata or certificate cannot be read, naming the IdP', async () => {
    const saml = await productionSamlEnv(dataDir, 'ac-limoges');
    const base = { ...env, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), BASE_URL: 'https://maillon.example', ...saml };
    const metadataFile = path.join(dataDir, 'ac-limoges-metadata.xml');
    const good = await fs.readFile(metadataFile, 'utf8');

    await fs.rm(metadataFile);
    const missing = await refusedStart(base);
    expect(missing.code).to.not.equal(0);
    expect(missing.output).to.contain('Maillon ne peut pas démarrer');
    expect(missing.output).to.contain('« ac-limoges »');
    expect(missing.output).to.contain('métadonnées illisible');

    await fs.writeFile(metadataFile, good.replace(/<ds:X509Certificate>[^<]+</, '<ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU=<'));
    const badCertificate = await refusedStart(base);
    expect(badCertificate.code).to.not.equal(0);
    expect(badCertificate.output).to.contain('« ac-limoges »');
    expect(badCertificate.output).to.contain('certificat de signature illisible');

    await fs.writeFile(metadataFile, good);
    const noSpKey = await refusedStart({ ...base, SAML_SP_KEY: path.join(dataDir, 'absente.pem') });
    expect(noSpKey.code).to.not.equal(0);
    expect(noSpKey.output).to.contain('SAML_SP_KEY');
  });
});
