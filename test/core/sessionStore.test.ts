import { expect } from 'chai';
import type session from 'express-session';
import { sql } from 'kysely';
import { DbSessionStore } from '../../server/web/sessionStore.js';
import { buildUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

function load(store: DbSessionStore, sid: string): Promise<session.SessionData | null> {
  return new Promise((resolve, reject) => store.get(sid, (err, data) => (err ? reject(err) : resolve(data ?? null))));
}

function save(store: DbSessionStore, sid: string, data: session.SessionData): Promise<void> {
  return new Promise((resolve, reject) => store.set(sid, data, (err) => (err ? reject(err) : resolve())));
}

describe('core: session store', function () {
  this.timeout(30_000);
  let t: TestApp;
  let store: DbSessionStore;

  before(async () => {
    t = await startTestApp({ seedDemo: false });
    store = new DbSessionStore(t.testDb.database.db);
  });
  after(async () => {
    store.close();
    await t.close();
  });

  it('loads the user with the session, out of what is hashed and stored again', async () => {
    const user = await buildUser(t.maillon.core, { givenName: 'Inès', familyName: 'Garnier', email: 'ines.garnier@ac-test.example' });
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), httpOnly: true, path: '/' };
    await save(store, 'sid-store-test', { cookie, passport: { user: user.id } } as unknown as session.SessionData);

    const data = await load(store, 'sid-store-test');
    expect(data?.__user?.id).to.equal(user.id);
    const req = { sessionID: 'sid-store-test', sessionStore: store } as unknown as Parameters<DbSessionStore['createSession']>[0];
    const created = store.createSession(req, data!);

    // Passport's deserialiser reads the user from here instead of asking the database again.
    expect(created.__user?.email).to.equal('ines.garnier@ac-test.example');
    // express-session serialises the session twice a request to see whether it changed.
    expect(JSON.stringify(created)).not.to.include('ines.garnier');
    expect(JSON.stringify(created)).to.include(`"user":${user.id}`);

    await save(store, 'sid-store-test', created);
    const row = await t.testDb.database.db.selectFrom('sessions').select('data').where('sid', '=', 'sid-store-test').executeTakeFirstOrThrow();
    expect(JSON.stringify(row.data)).not.to.include('ines.garnier');
  });

  it('does not write the session back when pages only read it', async () => {
    const user = await buildUser(t.maillon.core, { givenName: 'Marius', familyName: 'Lefort' });
    const agent = await t.loginAs(user.key);
    await agent.get('/home/aide').expect(200);
    // xmin names the transaction that last wrote a row: it moves with every save of the session.
    const version = async () =>
      (await sql<{ v: string }>`select xmin::text as v from sessions where user_id = ${user.id}`.execute(t.testDb.database.db)).rows.map((r) => r.v);
    const before = await version();
    expect(before).to.have.length(1);
    await agent.get('/home/aide').expect(200);
    await agent.get('/').expect(200);
    expect(await version()).to.deep.equal(before);
  });
});
