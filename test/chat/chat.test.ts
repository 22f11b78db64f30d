import path from 'node:path';
import { expect } from 'chai';
import { sql } from 'kysely';
import type { Socket } from 'socket.io-client';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { ENGINE } from '../support/engine.js';
import { buildUser } from '../support/factories.js';
import { call, chatter, cid, csrf, next, nextMessage, noMessage, type Chatter } from './support.js';

const CHAT = path.join(ROOT, 'plugins', 'chat');

describe(`chat (${ENGINE})`, function () {
  this.timeout(180_000);
  let t: TestApp;
  let elodie: Chatter; // rupn-poitiers, Vienne
  let nicolas: Chatter; // rupn-chatellerault, Vienne
  let karim: Chatter; // rupn, Charente-Maritime
  let claire: Chatter; // dane, Vienne
  let a: Socket;
  let b: Socket;
  let vienne: number;
  const sockets: Socket[] = [];

  const db = () => t.maillon.core.db;
  const roomId = async (slug: string) => (await db().selectFrom('chat_rooms').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
  async function open(c: Chatter): Promise<Socket> {
    const s = await c.socket();
    sockets.push(s);
    return s;
  }

  before(async () => {
    t = await startTestApp({ pluginDirs: [CHAT], env: { PLUGIN_CHAT_RATE_BURST: '60', PLUGIN_CHAT_RATE_PER_SECOND: '10', PLUGIN_CHAT_PAGE_SIZE: '5', JOBS_RUNNER: 'false' } });
    [elodie, nicolas, karim, claire] = await Promise.all(['rupn-poitiers', 'rupn-chatellerault', 'rupn', 'dane'].map((k) => chatter(t, k)));
    vienne = await roomId('departement:86');
    a = await open(elodie);
    b = await open(nicolas);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  describe('rooms', () => {
    it('puts each person in their département and académie rooms, shown with unread counts', async () => {
      const page = await elodie.agent.get('/chat').expect(200);
      expect(page.text).to.contain('Vienne');
      expect(page.text).to.contain('Académie de Poitiers');
      const other = await karim.agent.get('/chat').expect(200);
      expect(other.text).to.contain('Charente-Maritime');
      expect(other.text).not.to.match(/>Vienne</);
      expect(other.text).to.contain('Académie de Poitiers');
    });

    it('follows a person who moves to another département at their next login', async () => {
      const mover = await buildUser(t.maillon.core, { key: 'mover', departmentCode: '86', uai: null });
      await chatter(t, mover.key);
      const rooms = async () => (await db().selectFrom('chat_members as m').innerJoin('chat_rooms as r', 'r.id', 'm.room_id').select('r.slug').where('m.user_id', '=', mover.id).execute()).map((r) => r.slug).sort();
      expect(await rooms()).to.deep.equal(['academie:poitiers', 'departement:86']);
      await db().updateTable('users').set({ department_code: '17' }).where('id', '=', mover.id).execute();
      await chatter(t, mover.key);
      expect(await rooms()).to.deep.equal(['academie:poitiers', 'departement:17']);
    });

    it('lists topic rooms to join and leave', async () => {
      const pix = await roomId('topic:pix');
      let page = await karim.agent.get('/chat').expect(200);
      for (const topic of ['Tablettes', 'ENT', 'Pix', 'RGPD', 'GAR']) expect(page.text).to.contain(topic);
      await karim.agent.post(`/chat/topics/${pix}/join`).type('form').send({ _csrf: csrf(page.text) }).expect(303);
      expect((await karim.agent.get(`/chat/rooms/${pix}`).expect(200)).text).to.contain('id="chat-body"');
      page = await karim.agent.get('/chat').expect(200);
      await karim.agent.post(`/chat/rooms/${pix}/leave`).type('form').send({ _csrf: csrf(page.text) }).expect(303);
      const after = await karim.agent.get(`/chat/rooms/${pix}`).expect(200);
      expect(after.text).to.contain('Rejoindre le salon');
      expect(after.text).not.to.contain('id="chat-body"');
      // Neither an empty history nor « Membres (0) »: outside the room, there is nothing to show.
      expect(after.text).not.to.contain("Aucun message pour l'instant");
      expect(after.text).not.to.contain('Membres (');
    });

    it('invites to a private group: the group opens only when the person accepts; decline and withdraw too', async () => {
      const page = await elodie.agent.get('/chat').expect(200);
      const created = await elodie.agent.post('/chat/groups').type('form').send({ _csrf: csrf(page.text), name: 'Référents des collèges ruraux' }).expect(303);
      const group = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
      const room = async () => elodie.agent.get(`/chat/rooms/${group}`).expect(200);
      const inviteNicolas = async () =>
        elodie.agent.post(`/chat/rooms/${group}/invite`).type('form').send({ _csrf: csrf((await room()).text), email: 'Nicolas.Petit@ac-poitiers.example' });
      const asNicolas = async (action: string) => {
        const list = await nicolas.agent.get('/chat').expect(200);
        return nicolas.agent.post(`/chat/invitations/${group}/${action}`).type('form').send({ _csrf: csrf(list.text) });
      };
      const nicolasInvitations = async () => (await nicolas.agent.get('/chat').expect(200)).text;

      // Invited: told by a notification, shown on /chat with who invited him, but not a member yet.
      expect((await inviteNicolas()).status).to.equal(303);
      // The invitation is his alone: someone else cannot take it up.
      const karimPage = await karim.agent.get('/chat').expect(200);
      await karim.agent.post(`/chat/invitations/${group}/accept`).type('form').send({ _csrf: csrf(karimPage.text) }).expect(404);
      await karim.agent.get(`/chat/rooms/${group}`).expect(404);
      expect(await nicolasInvitations()).to.contain('Référents des collèges ruraux').and.to.contain('Élodie Moreau vous invite');
      const note = await db().selectFrom('notifications').select(['title', 'url']).where('kind', '=', 'chat:invited').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(note.title).to.contain('vous invite dans le groupe « Référents des collèges ruraux »');
      await nicolas.agent.get(`/chat/rooms/${group}`).expect(404);
      expect((await call(b, 'send', { roomId: group, clientId: cid(), body: 'trop tôt' })).ok).to.equal(false);
      expect((await room()).text).to.contain('Invitations en attente').and.to.contain('Nicolas Petit');
      // A second invitation changes nothing; only the owner invites.
      const again = await inviteNicolas();
      expect(again.status).to.equal(303);
      expect((await elodie.agent.get(again.headers.location!)).text).to.contain('a déjà une invitation en attente');
      const notes = await db().selectFrom('notifications').select('id').where('kind', '=', 'chat:invited').where('title', 'like', '%collèges ruraux%').execute();
      expect(notes).to.have.length(1);

      // Declined: gone from his list; the owner may invite again, then withdraw.
      expect((await asNicolas('decline')).status).to.equal(303);
      expect(await nicolasInvitations()).not.to.contain(`/chat/invitations/${group}/accept`);
      expect((await asNicolas('accept')).status).to.equal(404);
      await inviteNicolas();
      const nicolasId = (await db().selectFrom('users').select('id').where('email', '=', 'nicolas.petit@ac-poitiers.example').executeTakeFirstOrThrow()).id;
      const withdraw = await elodie.agent.post(`/chat/rooms/${group}/invitations/${nicolasId}/withdraw`).type('form').send({ _csrf: csrf((await room()).text) });
      expect(withdraw.status).to.equal(303);
      expect((await asNicolas('accept')).status).to.equal(404);

      // Accepted: a member at once, his open socket included.
      await inviteNicolas();
      const accepted = await asNicolas('accept');
      expect(accepted.status).to.equal(303);
      expect(accepted.headers.location).to.equal(`/chat/rooms/${group}`);
      const live = nextMessage(b, (m) => m.roomId === group && m.body === 'Bienvenue Nicolas');
      await new Promise((r) => setTimeout(r, 100)); // the socket joins the room through the adapter
      expect((await call(a, 'send', { roomId: group, clientId: cid(), body: 'Bienvenue Nicolas' })).ok).to.equal(true);
      await live;
      expect((await nicolas.agent.get(`/chat/rooms/${group}`).expect(200)).text).to.contain('Bienvenue Nicolas');
      const after = await nicolasInvitations();
      expect(after).not.to.contain(`/chat/invitations/${group}/accept`);
      expect(after).to.contain(`href="/chat/rooms/${group}"`);
      // A member cannot be invited again, and only owners invite.
      expect((await inviteNicolas()).status).to.equal(409);
      const byMember = await nicolas.agent.post(`/chat/rooms/${group}/invite`).type('form').send({ _csrf: csrf((await nicolas.agent.get(`/chat/rooms/${group}`)).text), email: 'karim.benali@ac-poitiers.example' });
      expect(byMember.status).to.equal(403);
    });

    it('keeps private groups and direct messages invisible to others, over HTTP and the socket', async () => {
      const page = await elodie.agent.get('/chat').expect(200);
      const created = await elodie.agent.post('/chat/groups').type('form').send({ _csrf: csrf(page.text), name: 'Lycées de Poitiers' }).expect(303);
      const group = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
      const room = await elodie.agent.get(`/chat/rooms/${group}`).expect(200);
      expect(room.text).to.contain('propriétaire');
      await karim.agent.get(`/chat/rooms/${group}`).expect(404);
      await karim.agent.get(`/chat/rooms/${group}/search?q=x`).expect(404);
      const ks = await open(karim);
      const refused = await call(ks, 'send', { roomId: group, clientId: cid(), body: 'intrus' });
      expect(refused).to.deep.equal({ ok: false, error: "Ce salon n'existe pas ou vous n'en êtes pas membre." });
      expect((await call(ks, 'who', { roomId: group })).ok).to.equal(false);
      expect((await call(ks, 'catchup', { since: { [group]: 0 } })).messages).to.deep.equal({});
      // The owner invites Nicolas, who can read and write once he has accepted.
      await elodie.agent.post(`/chat/rooms/${group}/invite`).type('form').send({ _csrf: csrf(room.text), email: 'nicolas.petit@ac-poitiers.example' }).expect(303);
      const list = await nicolas.agent.get('/chat').expect(200);
      await nicolas.agent.post(`/chat/invitations/${group}/accept`).type('form').send({ _csrf: csrf(list.text) }).expect(303);
      const hello = await call(b, 'send', { roomId: group, clientId: cid(), body: 'Merci pour l’invitation' });
      expect(hello.ok, String(hello.error)).to.equal(true);
      // A direct message between Karim and Élodie; Nicolas cannot see it.
      const dmPage = await karim.agent.get('/chat').expect(200);
      const dm = await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(dmPage.text), email: 'elodie.moreau@ac-poitiers.example' }).expect(303);
      const dmId = Number(/\/chat\/rooms\/(\d+)/.exec(dm.headers.location!)![1]);
      expect((await karim.agent.get(`/chat/rooms/${dmId}`).expect(200)).text).to.contain('Conversation avec Élodie Moreau');
      await nicolas.agent.get(`/chat/rooms/${dmId}`).expect(404);
      await claire.agent.get(`/chat/rooms/${dmId}`).expect(404);
      expect((await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'x' })).ok).to.equal(false);
      await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(dmPage.text), email: 'personne@nulle-part.example' }).expect(422);
    });
  });

  describe('direct messages reach their recipient', () => {
    it('shows a new conversation on the open room list and notifies once until read, not while it is on screen', async () => {
      const dest = await buildUser(t.maillon.core, { key: 'destinataire', givenName: 'Inès', familyName: 'Destinataire', departmentCode: '86', uai: null });
      const ds = await open(await chatter(t, dest.key)); // his /chat page is open
      const notes = async () => db().selectFrom('notifications').select(['title', 'url']).where('user_id', '=', dest.id).where('kind', '=', 'chat:direct').orderBy('id').execute();
      const until = async (check: () => Promise<boolean>) => {
        for (let waited = 0; waited < 5000 && !(await check()); waited += 25) await new Promise((r) => setTimeout(r, 25));
      };

      const page = await nicolas.agent.get('/chat').expect(200);
      const joined = next(ds, 'joined');
      const created = await nicolas.agent.post('/chat/dm').type('form').send({ _csrf: csrf(page.text), userId: String(dest.id) }).expect(303);
      const dmId = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
      expect(await joined).to.deep.equal({ id: dmId, kind: 'dm', label: 'Nicolas Petit' });

      // The first message arrives live and is notified, in-app and by e-mail (the default for a DM).
      const live = nextMessage(ds, (m) => m.roomId === dmId);
      const first = await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'Bonjour Inès, une question sur Pix' });
      expect((await live).body).to.equal('Bonjour Inès, une question sur Pix');
      await until(async () => (await notes()).length > 0);
      const [note] = await notes();
      expect(note!.title).to.equal('Nicolas Petit vous a écrit un message direct');
      expect(note!.url).to.contain(`/chat/rooms/${dmId}`).and.to.contain(`#m${first.id}`);
      const mails = await db().selectFrom('mail_outbox').select('subject').where('user_id', '=', dest.id).execute();
      expect(mails.map((m) => m.subject)).to.include('Nicolas Petit vous a écrit un message direct');
      expect((await (await chatter(t, dest.key)).agent.get('/chat').expect(200)).text).to.match(/Nicolas Petit<\/a>\s*<span class="muted">message direct<\/span>\s*<span class="badge" data-unread>1 non lu</);

      // Unread still: the next messages add no notification.
      await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'Tu es là ?' });
      const third = await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'Réponds quand tu peux' });
      await new Promise((r) => setTimeout(r, 300));
      expect(await notes()).to.have.length(1);

      // Read, then a new message: told again, once.
      expect((await call(ds, 'read', { roomId: dmId, messageId: third.id })).ok).to.equal(true);
      await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'Autre sujet : les tablettes' });
      await until(async () => (await notes()).length > 1);
      expect(await notes()).to.have.length(2);

      // Reading the conversation on screen: what he sees arrive is not notified.
      const last = await db().selectFrom('chat_messages').select((eb) => eb.fn.max('id').as('id')).where('room_id', '=', dmId).executeTakeFirstOrThrow();
      await call(ds, 'read', { roomId: dmId, messageId: Number(last.id) });
      expect((await call(ds, 'viewing', { roomId: dmId })).ok).to.equal(true);
      await call(b, 'send', { roomId: dmId, clientId: cid(), body: 'Tu le vois en direct' });
      await new Promise((r) => setTimeout(r, 300));
      expect(await notes()).to.have.length(2);
    });
  });

  describe('finding someone to write to', () => {
    it('finds people by name (accents and case forgiven) or e-mail, and opens the conversation from the list', async () => {
      const found = await karim.agent.get('/chat/personnes').query({ q: 'elodie MOR' }).expect(200);
      expect(found.text).to.contain('1 personne trouvée');
      expect(found.text).to.match(/<strong>Élodie Moreau<\/strong>\s*<span class="muted">[^<]+ · Vienne<\/span>/);
      const userId = /name="userId" value="(\d+)"/.exec(found.text)![1];
      const dm = await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(found.text), userId }).expect(303);
      expect((await karim.agent.get(dm.headers.location!).expect(200)).text).to.contain('Conversation avec Élodie Moreau');
      // The family name first works too, and so does the exact e-mail address.
      expect((await karim.agent.get('/chat/personnes').query({ q: 'moreau élo' }).expect(200)).text).to.contain('<strong>Élodie Moreau</strong>');
      expect((await karim.agent.get('/chat/personnes').query({ q: 'Elodie.Moreau@ac-poitiers.example' }).expect(200)).text).to.contain('<strong>Élodie Moreau</strong>');
    });

    it("invites into a group from the same search, for the group's owners only", async () => {
      const page = await karim.agent.get('/chat').expect(200);
      const created = await karim.agent.post('/chat/groups').type('form').send({ _csrf: csrf(page.text), name: 'Charente-Maritime et Vienne' }).expect(303);
      const group = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
      const found = await karim.agent.get(`/chat/rooms/${group}/inviter`).query({ q: 'nicolas' }).expect(200);
      expect(found.text).to.contain('Inviter dans « Charente-Maritime et Vienne »');
      expect(found.text).to.contain(`action="/chat/rooms/${group}/invite"`);
      const userId = /name="userId" value="(\d+)"/.exec(found.text)![1];
      await karim.agent.post(`/chat/rooms/${group}/invite`).type('form').send({ _csrf: csrf(found.text), userId }).expect(303);
      expect((await nicolas.agent.get('/chat').expect(200)).text).to.contain('Charente-Maritime et Vienne');
      // Searched again, he is shown as invited, without a button.
      const again = await karim.agent.get(`/chat/rooms/${group}/inviter`).query({ q: 'nicolas' }).expect(200);
      expect(again.text).to.match(/<strong>Nicolas Petit<\/strong>[^]*?<span class="tag">déjà invité·e<\/span>/);
      expect(again.text).not.to.contain(`name="userId" value="${userId}"`);
      // Someone outside the group does not learn it exists.
      await elodie.agent.get(`/chat/rooms/${group}/inviter`).query({ q: 'nicolas' }).expect(404);
    });

    it('leaves out oneself and inactive accounts, treats % and _ as letters, and says when nobody matches', async () => {
      const gone = await buildUser(t.maillon.core, { key: 'partie', givenName: 'Solène', familyName: 'Partie' });
      const search = async (q: string) => (await karim.agent.get('/chat/personnes').query({ q }).expect(200)).text;
      expect(await search('solene partie')).to.contain('<strong>Solène Partie</strong>');
      await db().updateTable('users').set({ status: 'suspended' }).where('id', '=', gone.id).execute();
      expect(await search('solene partie')).to.contain('Personne ne correspond à « solene partie ».');
      expect(await search('karim benali')).to.contain('Personne ne correspond');
      expect(await search('%')).to.contain('Personne ne correspond');
      const page = await karim.agent.get('/chat').expect(200);
      const refused = await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(page.text), userId: String(gone.id) }).expect(422);
      expect(refused.text).to.contain("Ce compte n&#39;existe pas ou n&#39;est plus actif.");
      await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(page.text) }).expect(422);
      await karim.agent.post('/chat/dm').type('form').send({ _csrf: csrf(page.text), userId: 'abc' }).expect(400);
    });
  });

  describe('socket protocol', () => {
    it('stores a message before acknowledging it, then broadcasts it with the sender and département', async () => {
      const clientId = cid();
      const received = nextMessage(b, (m) => m.clientId === clientId);
      const ack = await call(a, 'send', { roomId: vienne, clientId, body: 'Bonjour **la Vienne** <script>alert(1)</script> https://pix.fr' });
      expect(ack.ok).to.equal(true);
      const row = await db().selectFrom('chat_messages').selectAll().where('id', '=', ack.id as number).executeTakeFirstOrThrow();
      expect(row.body).to.contain('Bonjour **la Vienne**');
      expect(row.author_id).to.be.a('number');
      const m = await received;
      expect(m.id).to.equal(ack.id);
      expect(m.author.name).to.equal('Élodie Moreau');
      expect(m.author.department).to.equal('Vienne');
      expect(m.html).to.contain('<strong>la Vienne</strong>');
      expect(m.html).not.to.contain('<script');
      expect(m.html).to.contain('href="https://pix.fr"');
    });

    it('answers a retry with the same client id with the same message, never a duplicate', async () => {
      const clientId = cid();
      const first = await call(a, 'send', { roomId: vienne, clientId, body: 'Une seule fois' });
      const again = await call(a, 'send', { roomId: vienne, clientId, body: 'Une seule fois' });
      expect(again.id).to.equal(first.id);
      expect(again.duplicate).to.equal(true);
      const { n } = await db().selectFrom('chat_messages').select(sql<number>`count(*)`.as('n')).where('client_id', '=', clientId).executeTakeFirstOrThrow();
      expect(Number(n)).to.equal(1);
    });

    it('stores concurrent messages together, each acknowledged with its own id, retries and refusals included', async () => {
      const same = cid('same');
      const seenByB: { id: number; body: string }[] = [];
      const collect = (messages: { id: number; body: string; roomId: number }[]) => seenByB.push(...messages.filter((m) => m.roomId === vienne));
      b.on('messages', collect);
      const sends = [
        ...Array.from({ length: 6 }, (_, i) => call(a, 'send', { roomId: vienne, clientId: cid('burst'), body: `rafale ${i}` })),
        call(b, 'send', { roomId: vienne, clientId: same, body: 'envoyé deux fois' }),
        call(b, 'send', { roomId: vienne, clientId: same, body: 'envoyé deux fois' }),
        call(b, 'send', { roomId: 999_998, clientId: cid(), body: 'nulle part' }),
      ];
      const replies = await Promise.all(sends);
      const ok = replies.slice(0, 6);
      expect(ok.every((r) => r.ok)).to.equal(true);
      expect(new Set(ok.map((r) => r.id)).size).to.equal(6);
      expect(replies[7]!.id).to.equal(replies[6]!.id);
      expect([replies[6]!.duplicate, replies[7]!.duplicate].filter(Boolean)).to.have.length(1);
      expect(replies[8]!.error).to.contain("n'existe pas");
      const { n } = await db().selectFrom('chat_messages').select(sql<number>`count(*)`.as('n')).where('client_id', '=', same).executeTakeFirstOrThrow();
      expect(Number(n)).to.equal(1);
      // The other member sees each stored message once, in the order of the room.
      const stored = [...ok.map((r) => r.id as number), replies[6]!.id as number].sort((x, y) => x - y);
      for (let waited = 0; waited < 5000 && !stored.every((id) => seenByB.some((m) => m.id === id)); waited += 20) await new Promise((r) => setTimeout(r, 20));
      b.off('messages', collect);
      expect(seenByB.map((m) => m.id).filter((id) => stored.includes(id))).to.deep.equal(stored);
    });

    it('refuses malformed, oversized, forged and unknown-room payloads with a French error, keeping the socket', async () => {
      const cases: [unknown, RegExp][] = [
        ['pas un objet', /Requête invalide/],
        [{ roomId: vienne, body: 'sans identifiant' }, /Requête invalide \(clientId\)/],
        [{ roomId: 'abc', clientId: cid(), body: 'x' }, /Requête invalide \(roomId\)/],
        [{ roomId: vienne, clientId: cid(), body: 'x'.repeat(5000) }, /dépasse 4000 caractères/],
        [{ roomId: vienne, clientId: cid(), body: '   ' }, /le message est vide/],
        [{ roomId: vienne, clientId: cid(), body: 'usurpation', authorId: 1 }, /Requête invalide/],
        [{ roomId: 999_999, clientId: cid(), body: 'x' }, /n'existe pas ou vous n'en êtes pas membre/],
        [{ roomId: vienne, clientId: 'court', body: 'x' }, /identifiant client invalide/],
      ];
      for (const [payload, error] of cases) {
        const reply = await call(a, 'send', payload);
        expect(reply.ok, JSON.stringify(payload).slice(0, 80)).to.equal(false);
        expect(reply.error).to.match(error);
      }
      a.emit('send', { roomId: vienne, clientId: cid(), body: 'sans accusé de réception' });
      a.emit('nonexistent-event', { x: 1 });
      expect(a.connected).to.equal(true);
      const ok = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'toujours là' });
      expect(ok.ok).to.equal(true);
      // A NUL character (PostgreSQL text cannot hold one) pasted into a message is dropped.
      const pasted = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'collé\u0000 depuis un PDF' });
      expect(pasted.ok, JSON.stringify(pasted)).to.equal(true);
      expect(await db().selectFrom('chat_messages').select('body').where('body', '=', 'collé depuis un PDF').execute()).to.have.length(1);
      const forged = await db().selectFrom('chat_messages').select('author_id').where('body', '=', 'usurpation').execute();
      expect(forged).to.have.length(0);
    });

    it('rate-limits a flood with an error ack, not a dropped socket', async () => {
      // A person of their own: the flood empties only their bucket, not that of the others' tests.
      await buildUser(t.maillon.core, { key: 'flooder', departmentCode: '86', uai: null });
      const flooder = await open(await chatter(t, 'flooder'));
      const replies = [];
      for (let i = 0; i < 120; i++) replies.push(await call(flooder, 'send', { roomId: vienne, clientId: cid('flood'), body: `flot ${i}` }));
      const refused = replies.filter((r) => !r.ok);
      expect(refused.length).to.be.greaterThan(0);
      expect(refused[0]!.error).to.contain('trop de messages');
      expect(flooder.connected).to.equal(true);
      await new Promise((r) => setTimeout(r, 300));
      expect((await call(flooder, 'send', { roomId: vienne, clientId: cid(), body: 'après la pause' })).ok).to.equal(true);
    });

    it('edits and deletes own messages only, shown as edited and deleted', async () => {
      const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Premier jet' });
      const edited = next(b, 'update', (m) => m.id === sent.id && m.editedAt);
      expect((await call(a, 'edit', { messageId: sent.id, body: 'Version corrigée' })).ok).to.equal(true);
      expect((await edited).body).to.equal('Version corrigée');
      const notMine = await call(b, 'edit', { messageId: sent.id, body: 'piratage' });
      expect(notMine.ok).to.equal(false);
      expect((await call(b, 'delete', { messageId: sent.id })).error).to.equal('Vous ne pouvez supprimer que vos propres messages.');
      const html = (await nicolas.agent.get(`/chat/rooms/${vienne}`).expect(200)).text;
      expect(html).to.contain('Version corrigée');
      expect(html).to.contain('(modifié)');
      const deleted = next(b, 'update', (m) => m.id === sent.id && m.deleted);
      expect((await call(a, 'delete', { messageId: sent.id })).ok).to.equal(true);
      expect((await deleted).body).to.equal('');
      const row = await db().selectFrom('chat_messages').select(['body', 'deleted_at']).where('id', '=', sent.id as number).executeTakeFirstOrThrow();
      expect(row.body).to.equal('');
      expect(row.deleted_at).to.not.equal(null);
    });

    it('replies in a thread and reacts with emoji', async () => {
      const root = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Qui utilise des tablettes en SVT ?' });
      const reply = nextMessage(a, (m) => m.replyTo === root.id);
      expect((await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'Nous, en 5e', replyTo: root.id })).ok).to.equal(true);
      expect((await reply).parent.author).to.equal('Élodie Moreau');
      const thread = await elodie.agent.get(`/chat/rooms/${vienne}?thread=${root.id}`).expect(200);
      expect(thread.text).to.contain('fil de discussion');
      expect(thread.text).to.contain('Nous, en 5e');
      const reacted = next(a, 'update', (m) => m.id === root.id && m.reactions.length === 1);
      expect((await call(b, 'react', { messageId: root.id, emoji: '👍' })).ok).to.equal(true);
      expect((await reacted).reactions).to.deep.equal([{ emoji: '👍', users: [(await t.maillon.core.db.selectFrom('users').select('id').where('email', '=', 'nicolas.petit@ac-poitiers.example').executeTakeFirstOrThrow()).id], names: ['Nicolas Petit'] }]);
      // Each page says who reacted, and marks the reader's own reaction, which one click takes back.
      const chip = async (c: Chatter) => new RegExp(`id="m${root.id}"[^]*?(<button type="submit" name="emoji" value="👍" class="chat-reaction"[^>]*>)`).exec((await c.agent.get(`/chat/rooms/${vienne}`).expect(200)).text)![1];
      expect(await chip(elodie)).to.contain('aria-pressed="false" aria-label="👍 1 : Nicolas Petit" title="👍 1 : Nicolas Petit"');
      expect(await chip(nicolas)).to.contain('aria-pressed="true" aria-label="👍 1 : vous"');
      expect((await call(a, 'react', { messageId: root.id, emoji: '👍' })).ok).to.equal(true);
      expect(await chip(nicolas)).to.contain('aria-label="👍 2 : Élodie Moreau, vous"');
      expect((await call(b, 'react', { messageId: root.id, emoji: '<b>' })).error).to.contain('émoji');
      expect((await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'x', replyTo: 999_999 })).error).to.contain("n'existe pas dans ce salon");
    });

    it('sets @mentions apart and marks, for the person mentioned only, the message that mentions them', async () => {
      const live = nextMessage(b, (m) => m.body.startsWith('Merci @Nicolas.Petit'));
      const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Merci @Nicolas.Petit pour le `@code` et à @claire.dubois' });
      const m = await live;
      expect(m.html).to.contain('<span class="mention">@Nicolas.Petit</span>').and.to.contain('<code>@code</code>');
      expect(m.mentions).to.deep.equal(['nicolas.petit', 'claire.dubois']);
      const li = async (c: Chatter) => new RegExp(`<li class="([^"]*)" id="m${sent.id}"[^]*?</li>`).exec((await c.agent.get(`/chat/rooms/${vienne}`).expect(200)).text)!;
      const forNicolas = await li(nicolas);
      expect(forNicolas[1]).to.equal('chat-message chat-message--mentions-me');
      expect(forNicolas[0]).to.contain('<span class="chat-message__mentions-me">vous mentionne</span>');
      expect(forNicolas[0]).to.contain('<span class="mention">@Nicolas.Petit</span>');
      expect((await li(elodie))[1]).to.equal('chat-message chat-message--mine');
      const forClaire = await li(claire);
      expect(forClaire[1]).to.equal('chat-message chat-message--mentions-me');
      const other = await buildUser(t.maillon.core, { key: 'lectrice-86', departmentCode: '86', uai: null });
      const forOther = await li(await chatter(t, other.key));
      expect(forOther[1]).to.equal('chat-message');
      expect(forOther[0]).not.to.contain('vous mentionne');
    });

    it('tells who is typing and who is online', async () => {
      const typing = next(b, 'typing', (e) => e.roomId === vienne);
      await call(a, 'typing', { roomId: vienne });
      expect((await typing).name).to.equal('Élodie Moreau');
      const who = await call(a, 'who', { roomId: vienne });
      expect((who.users as { name: string }[]).map((u) => u.name)).to.include.members(['Élodie Moreau', 'Nicolas Petit']);
      const presence = next(a, 'presence', (p) => p.roomId === vienne && p.online === true && p.name === 'Claire Dubois');
      const c = await open(claire);
      await presence;
      const gone = next(a, 'presence', (p) => p.roomId === vienne && p.online === false && p.name === 'Claire Dubois');
      c.close();
      await gone;
    });

    it('tells the open pages of a room who joins and leaves it', async () => {
      const ent = await roomId('topic:ent');
      const page = await elodie.agent.get('/chat').expect(200);
      await elodie.agent.post(`/chat/topics/${ent}/join`).type('form').send({ _csrf: csrf(page.text) });
      await new Promise((r) => setTimeout(r, 100));
      const nicolasId = (await db().selectFrom('users').select('id').where('email', '=', 'nicolas.petit@ac-poitiers.example').executeTakeFirstOrThrow()).id;
      const his = await nicolas.agent.get('/chat').expect(200);
      const joined = next(a, 'members', (c) => c.roomId === ent && c.joined);
      await nicolas.agent.post(`/chat/topics/${ent}/join`).type('form').send({ _csrf: csrf(his.text) }).expect(303);
      expect(await joined).to.deep.equal({ roomId: ent, userId: nicolasId, joined: true, name: 'Nicolas Petit', department: 'Vienne' });
      const left = next(a, 'members', (c) => c.roomId === ent && !c.joined);
      await nicolas.agent.post(`/chat/rooms/${ent}/leave`).type('form').send({ _csrf: csrf(his.text) }).expect(303);
      expect(await left).to.deep.equal({ roomId: ent, userId: nicolasId, joined: false });
      // His socket left the room with him: he is no longer among those online there.
      const who = await call(a, 'who', { roomId: ent });
      expect((who.users as { userId: number }[]).map((u) => u.userId)).not.to.include(nicolasId);
    });

    it('counts unread messages until they are marked read', async () => {
      const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'À lire' });
      await call(b, 'read', { roomId: vienne, messageId: (sent.id as number) - 1 });
      let page = await nicolas.agent.get('/chat').expect(200);
      expect(page.text).to.match(/1 non lu</);
      await call(b, 'read', { roomId: vienne, messageId: sent.id });
      page = await nicolas.agent.get('/chat').expect(200);
      expect(page.text).not.to.match(/data-unread/);
    });

    it('catches up after a disconnection: everything missed, once', async () => {
      const last = await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'avant la coupure' });
      b.disconnect();
      const missed = [];
      for (let i = 0; i < 3; i++) missed.push((await call(a, 'send', { roomId: vienne, clientId: cid(), body: `pendant la coupure ${i}` })).id);
      b.connect();
      await new Promise<void>((r) => b.once('connect', () => r()));
      const reply = await call(b, 'catchup', { since: { [vienne]: last.id } });
      expect((reply.messages as Record<string, { id: number }[]>)[vienne]!.map((m) => m.id)).to.deep.equal(missed);
      const live = nextMessage(b, (m) => m.body === 'de retour en direct');
      await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'de retour en direct' });
      await live;
    });

    it('catches up, after a disconnection, the edits, deletions, removals and reactions of the messages already shown', async () => {
      const edited = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Réunion mardi' });
      const deleted = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Message envoyé par erreur' });
      const removed = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Propos déplacé' });
      // Nicolas's page holds these three, and the last change it knows of.
      const page = await nicolas.agent.get(`/chat/rooms/${vienne}`).expect(200);
      const lastId = Number(/data-last-id="(\d+)"/.exec(page.text)![1]);
      const changeId = Number(/data-change-id="(\d+)"/.exec(page.text)![1]);
      expect(lastId).to.equal(removed.id);
      b.disconnect();
      expect((await call(a, 'edit', { messageId: edited.id, body: 'Réunion **jeudi**' })).ok).to.equal(true);
      expect((await call(a, 'delete', { messageId: deleted.id })).ok).to.equal(true);
      expect((await call(a, 'react', { messageId: edited.id, emoji: '🎉' })).ok).to.equal(true);
      const c = await open(claire);
      expect((await call(c, 'delete', { messageId: removed.id })).ok).to.equal(true);
      c.close();
      b.connect();
      await new Promise<void>((r) => b.once('connect', () => r()));
      const reply = await call(b, 'catchup', { since: { [vienne]: lastId }, changedSince: { [vienne]: changeId } });
      expect(reply.ok).to.equal(true);
      const changed = (reply.changed as Record<string, any[]>)[vienne]!;
      const byId = new Map(changed.map((m) => [m.id, m]));
      expect([...byId.keys()].sort()).to.deep.equal([edited.id, deleted.id, removed.id].sort());
      expect(byId.get(edited.id).html).to.contain('Réunion <strong>jeudi</strong>');
      expect(byId.get(edited.id).editedAt).to.be.a('string');
      expect(byId.get(edited.id).reactions.map((r: { emoji: string }) => r.emoji)).to.deep.equal(['🎉']);
      expect(byId.get(deleted.id)).to.include({ deleted: true, body: '' });
      expect(byId.get(removed.id)).to.include({ deleted: true, body: '' });
      expect((reply.messages as Record<string, unknown[]>)[vienne]).to.deep.equal([]);
      // The next catch-up starts after these changes: nothing twice.
      const cursor = (reply.changes as Record<string, number>)[vienne]!;
      expect(cursor).to.be.greaterThan(changeId);
      const again = await call(b, 'catchup', { since: { [vienne]: lastId }, changedSince: { [vienne]: cursor } });
      expect((again.changed as Record<string, unknown[]>)[vienne]).to.deep.equal([]);
      expect((again.changes as Record<string, number>)[vienne]).to.equal(cursor);
    });

    it('notifies @mentions of room members', async () => {
      await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Une idée, @nicolas.petit ? et @karim.benali qui n’est pas ici' });
      let rows: { user_id: number; title: string }[] = [];
      for (let i = 0; i < 50 && !rows.length; i++) {
        rows = await db().selectFrom('notifications').select(['user_id', 'title']).where('kind', '=', 'chat:mention').where('body', 'like', 'Une idée, @nicolas.petit%').execute();
        if (!rows.length) await new Promise((r) => setTimeout(r, 50));
      }
      expect(rows).to.have.length(1);
      expect(rows[0]!.title).to.equal('Élodie Moreau vous mentionne dans « Vienne »');
    });
  });

  describe('pages without JavaScript', () => {
    it('shows the history paged, a marker at the first unread, and posts over HTTP once per form', async () => {
      for (let i = 0; i < 7; i++) await call(a, 'send', { roomId: vienne, clientId: cid('page'), body: `ligne ${i}` });
      const page = await claire.agent.get(`/chat/rooms/${vienne}`).expect(200);
      expect(page.text).to.contain('ligne 6');
      expect(page.text).to.contain('Élodie Moreau</strong> <span class="chat-message__place">(Vienne)</span>');
      expect(page.text).to.contain('Messages plus anciens');
      const older = /href="(\/chat\/rooms\/\d+\?before=\d+)"/.exec(page.text)![1]!;
      const older1 = await claire.agent.get(older).expect(200);
      expect(older1.text).to.contain('ligne 1');
      expect(older1.text).not.to.contain('ligne 6');
      // An older page leads back to the latest messages, and tells the script not to append live ones.
      expect(older1.text).to.contain(`<a href="/chat/rooms/${vienne}" data-newer>Messages plus récents</a>`);
      expect(older1.text).to.contain('data-has-newer="true"');
      expect(page.text).to.contain('data-has-newer="false"');
      // Claire read up to now; the next page view marks the first new one.
      await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'nouveau pour Claire' });
      const again = await claire.agent.get(`/chat/rooms/${vienne}`).expect(200);
      expect(again.text).to.match(/id="premier-non-lu"[\s\S]*nouveau pour Claire/);
      const clientId = /name="clientId" value="([^"]+)"/.exec(again.text)![1]!;
      const form = { _csrf: csrf(again.text), clientId, body: 'Posté sans **JavaScript**' };
      await claire.agent.post(`/chat/rooms/${vienne}/messages`).type('form').send(form).expect(303);
      await claire.agent.post(`/chat/rooms/${vienne}/messages`).type('form').send(form).expect(303);
      const after = await claire.agent.get(`/chat/rooms/${vienne}`).expect(200);
      expect(after.text.match(/Posté sans <strong>JavaScript<\/strong>/g)).to.have.length(1);
      await claire.agent.post(`/chat/rooms/${vienne}/messages`).type('form').send({ ...form, clientId: cid(), body: '' }).expect(400);
    });

    it('ends reply mode after one reply from the room; a thread view keeps writing into its thread', async () => {
      const root = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Qui a testé les casques de réalité virtuelle ?' });
      const replying = await nicolas.agent.get(`/chat/rooms/${vienne}?reply=${root.id}`).expect(200);
      expect(replying.text).to.contain('En réponse à Élodie Moreau — <a');
      expect(replying.text).to.contain(`name="replyTo" value="${root.id}"`);
      const clientId = /name="clientId" value="([^"]+)"/.exec(replying.text)![1]!;
      const sent = await nicolas.agent.post(`/chat/rooms/${vienne}/messages`).type('form')
        .send({ _csrf: csrf(replying.text), clientId, body: 'Nous, en technologie', replyTo: String(root.id) }).expect(303);
      const replyId = Number(/#m(\d+)$/.exec(sent.headers.location!)![1]);
      expect((await db().selectFrom('chat_messages').select('reply_to').where('id', '=', replyId).executeTakeFirstOrThrow()).reply_to).to.equal(root.id);
      // Back in the room, at the reply, with a composer that writes to the room again.
      expect(sent.headers.location).to.equal(`/chat/rooms/${vienne}#m${replyId}`);
      const back = await nicolas.agent.get(sent.headers.location!.split('#')[0]!).expect(200);
      expect(back.text).to.contain('Nous, en technologie');
      expect(back.text).not.to.contain('name="replyTo"');
      expect(back.text).not.to.contain('En réponse à Élodie Moreau — <a');
      // From the thread view, the next message stays in the thread.
      const thread = await nicolas.agent.get(`/chat/rooms/${vienne}?thread=${root.id}`).expect(200);
      const inThread = await nicolas.agent.post(`/chat/rooms/${vienne}/messages`).type('form')
        .send({ _csrf: csrf(thread.text), clientId: /name="clientId" value="([^"]+)"/.exec(thread.text)![1]!, body: 'Et en SVT aussi', replyTo: String(root.id), view: 'thread' }).expect(303);
      expect(inThread.headers.location).to.match(new RegExp(`^/chat/rooms/${vienne}\\?thread=${root.id}#m\\d+$`));
      expect(thread.text).to.contain('name="view" value="thread"');
    });

    it('gives back a refused edit or group name with what was typed and why, next to the field (422)', async () => {
      const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Texte à corriger' });
      const form = await elodie.agent.get(`/chat/messages/${sent.id}/edit`).expect(200);
      const empty = await elodie.agent.post(`/chat/messages/${sent.id}/edit`).type('form').send({ _csrf: csrf(form.text), body: '   ' }).expect(422);
      expect(empty.text).to.match(/<p class="error-text" id="body-erreur">Le message est vide : écrivez un texte, ou supprimez le message depuis le salon.<\/p>\s*<textarea id="body" name="body"[^>]*aria-invalid="true" aria-describedby="body-erreur"/);
      const long = 'Très long. '.repeat(400);
      const tooLong = await elodie.agent.post(`/chat/messages/${sent.id}/edit`).type('form').send({ _csrf: csrf(form.text), body: long }).expect(422);
      expect(tooLong.text).to.contain('Le message dépasse 4000 caractères : raccourcissez-le.');
      expect(tooLong.text).to.contain(`>${long}</textarea>`);
      expect((await db().selectFrom('chat_messages').select('body').where('id', '=', sent.id as number).executeTakeFirstOrThrow()).body).to.equal('Texte à corriger');

      const home = await elodie.agent.get('/chat').expect(200);
      const short = await elodie.agent.post('/chat/groups').type('form').send({ _csrf: csrf(home.text), name: ' A ' }).expect(422);
      expect(short.text).to.contain('<p class="error-text" id="group-name-erreur">Donnez au groupe un nom de 2 à 80 caractères.</p>');
      expect(short.text).to.match(/<input id="group-name" name="name"[^>]*value="A" aria-invalid="true"/);
      expect(short.text).not.to.contain('Trop petit');
    });

    it('searches a room in French', async () => {
      await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Les tablettes de l’école sont arrivées' });
      const res = await elodie.agent.get(`/chat/rooms/${vienne}/search?q=tablette+ecole`).expect(200);
      expect(res.text).to.match(/<mark>tablettes<\/mark>/);
      expect(res.text).to.contain('message trouvé');
    });
  });

  describe('links to a message', () => {
    it('opens a mention notification on the page that holds the message, marked; search pages all its results and counts them', async () => {
      const home = await elodie.agent.get('/chat').expect(200);
      const created = await elodie.agent.post('/chat/groups').type('form').send({ _csrf: csrf(home.text), name: 'Suivi des tablettes' }).expect(303);
      const group = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
      const nicolasId = (await db().selectFrom('users').select('id').where('email', '=', 'nicolas.petit@ac-poitiers.example').executeTakeFirstOrThrow()).id;
      await db().insertInto('chat_members').values({ room_id: group, user_id: nicolasId }).execute();
      for (let i = 0; i < 4; i++) await call(a, 'send', { roomId: group, clientId: cid(), body: `avant ${i}` });
      const mention = await call(a, 'send', { roomId: group, clientId: cid(), body: 'Regarde ce devis, @nicolas.petit' });
      for (let i = 0; i < 8; i++) await call(a, 'send', { roomId: group, clientId: cid(), body: `suite ${i}` });
      let note: { url: string | null } | undefined;
      for (let i = 0; i < 100 && !note; i++) {
        note = await db().selectFrom('notifications').select('url').where('user_id', '=', nicolasId).where('body', 'like', 'Regarde ce devis%').executeTakeFirst();
        if (!note) await new Promise((r) => setTimeout(r, 25));
      }
      expect(note!.url).to.equal(`/chat/rooms/${group}?around=${mention.id}#m${mention.id}`);
      // The latest page (5 messages) does not hold it; the notification's page does, marked.
      expect((await nicolas.agent.get(`/chat/rooms/${group}`).expect(200)).text).not.to.contain(`id="m${mention.id}"`);
      const page = (await nicolas.agent.get(note!.url!.split('#')[0]!).expect(200)).text;
      expect(page).to.match(new RegExp(`<li class="chat-message chat-message--mentions-me chat-message--target" id="m${mention.id}"`));
      expect(page).to.contain('Messages plus anciens').and.to.contain('Messages plus récents').and.to.contain('data-has-newer="true"');
      expect(page.match(/<li class="chat-message[ "]/g)).to.have.length(5);

      // 70 messages match: all counted, shown 30 at a time, each linked to its page.
      await db().insertInto('chat_messages')
        .values(Array.from({ length: 70 }, (_, i) => ({ room_id: group, author_id: nicolasId, client_id: cid('search'), body: `Compte rendu de la tablette ${i}` }))).execute();
      const search = async (query: string) => (await elodie.agent.get(`/chat/rooms/${group}/search${query}`).expect(200)).text;
      const results = (html: string) => [...html.matchAll(/<li><a href="\/chat\/rooms\/\d+\?around=(\d+)#m\1">/g)].map((m) => Number(m[1]));
      const first = await search('?q=tablette');
      expect(first).to.contain('<p role="status">70 messages trouvés (résultats 1 à 30)</p>');
      expect(results(first)).to.have.length(30);
      expect(first).to.contain(`href="/chat/rooms/${group}/search?q=tablette&amp;page=2" rel="next">Résultats suivants</a>`);
      const last = await search('?q=tablette&page=3');
      expect(last).to.contain('70 messages trouvés (résultats 61 à 70)');
      expect(results(last)).to.have.length(10);
      expect(last).not.to.contain('Résultats suivants');
      expect(last).to.contain(`href="/chat/rooms/${group}/search?q=tablette&amp;page=2" rel="prev">Résultats précédents</a>`);
      const all = [...results(first), ...results(await search('?q=tablette&page=2')), ...results(last)];
      expect(new Set(all).size).to.equal(70);
    });
  });

  describe('mention suggestions', () => {
    it('suggests members of the room by first or last name, under the handle the chat recognises; nobody else asks', async () => {
      const byFirst = await elodie.agent.get(`/chat/rooms/${vienne}/mentions?q=%40Nic`).set('Accept', 'application/json').expect(200);
      expect(byFirst.body.people).to.deep.include({ handle: 'nicolas.petit', name: 'Nicolas Petit', department: 'Vienne' });
      const byLast = (await elodie.agent.get(`/chat/rooms/${vienne}/mentions?q=peti`).expect(200)).body.people.map((p: { handle: string }) => p.handle);
      expect(byLast).to.include('nicolas.petit');
      // Karim (Charente-Maritime) is not in the room: not offered, and he may not ask.
      expect((await elodie.agent.get(`/chat/rooms/${vienne}/mentions?q=kar`).expect(200)).body.people).to.deep.equal([]);
      await karim.agent.get(`/chat/rooms/${vienne}/mentions?q=nic`).expect(404);
      expect((await elodie.agent.get(`/chat/rooms/${vienne}/mentions?q=`).expect(200)).body.people).to.deep.equal([]);
    });
  });

  describe('moderation', () => {
    it('lets a member report a message, and the DANE remove it from the queue (audited)', async () => {
      const sent = await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'Message déplacé' });
      expect((await call(a, 'report', { messageId: sent.id, reason: 'hors sujet' })).ok).to.equal(true);
      await elodie.agent.get('/chat/moderation').expect(403);
      const queue = await claire.agent.get('/chat/moderation').expect(200);
      expect(queue.text).to.contain('Message déplacé');
      expect(queue.text).to.contain('hors sujet');
      const reportId = /\/chat\/reports\/(\d+)\/resolve/.exec(queue.text)![1];
      const removed = next(a, 'update', (m) => m.id === sent.id && m.deleted);
      await claire.agent.post(`/chat/reports/${reportId}/resolve`).type('form').send({ _csrf: csrf(queue.text), outcome: 'removed' }).expect(303);
      await removed;
      expect((await claire.agent.get('/chat/moderation').expect(200)).text).to.contain('Aucun signalement en attente');
      const audit = await db().selectFrom('audit_log').select('action').where('action', 'like', 'chat.%').execute();
      expect(audit.map((r) => r.action)).to.include.members(['chat.message.report', 'chat.message.remove', 'chat.report.removed']);
    });

    it('settles the reports of a message that a moderator removes from the room itself (audited)', async () => {
      const sent = await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'Publicité hors sujet' });
      expect((await call(a, 'report', { messageId: sent.id, reason: 'publicité' })).ok).to.equal(true);
      const queue = await claire.agent.get('/chat/moderation').expect(200);
      const reportId = new RegExp(`data-report-id="(\\d+)">\\s*<p><strong>Nicolas Petit</strong> dans <a href="/chat/rooms/${vienne}\\?around=${sent.id}#m${sent.id}"`).exec(queue.text)![1];
      const room = await claire.agent.get(`/chat/rooms/${vienne}`).expect(200);
      await claire.agent.post(`/chat/messages/${sent.id}/delete`).type('form').send({ _csrf: csrf(room.text) }).expect(303);
      const after = await claire.agent.get('/chat/moderation').expect(200);
      expect(after.text).not.to.contain(`data-report-id="${reportId}"`);
      const report = await db().selectFrom('chat_reports').select(['outcome', 'resolved_by', 'resolved_at']).where('id', '=', Number(reportId)).executeTakeFirstOrThrow();
      const claireId = (await db().selectFrom('users').select('id').where('email', '=', 'claire.dubois@ac-poitiers.example').executeTakeFirstOrThrow()).id;
      expect(report).to.include({ outcome: 'removed', resolved_by: claireId });
      expect(report.resolved_at).to.not.equal(null);
      const audit = await db().selectFrom('audit_log').select('action').where('target_id', '=', String(sent.id)).execute();
      expect(audit.map((r) => r.action)).to.include.members(['chat.message.report', 'chat.message.remove', 'chat.report.removed']);
    });

    it('lets owners and the DANE mute a member and lock a room; others may not', async () => {
      const page = await claire.agent.get(`/chat/rooms/${vienne}`).expect(200);
      const nicolasId = (await db().selectFrom('users').select('id').where('email', '=', 'nicolas.petit@ac-poitiers.example').executeTakeFirstOrThrow()).id;
      await elodie.agent.post(`/chat/rooms/${vienne}/lock`).type('form').send({ _csrf: csrf(page.text), locked: '1' }).expect(403);
      const told = next(b, 'membership', (p) => p.roomId === vienne);
      await claire.agent.post(`/chat/rooms/${vienne}/members/${nicolasId}/mute`).type('form').send({ _csrf: csrf(page.text), muted: '1' }).expect(303);
      expect(await told).to.deep.equal({ roomId: vienne, muted: true });
      expect((await call(b, 'send', { roomId: vienne, clientId: cid(), body: 'je parle ?' })).error).to.contain('sourdine');
      expect((await call(b, 'catchup', { since: { [vienne]: 1e9 } })).state).to.deep.equal({ [vienne]: { locked: false, muted: true } });
      expect((await nicolas.agent.get(`/chat/rooms/${vienne}`).expect(200)).text).to.match(/id="composer-blocked" data-composer-blocked>Un modérateur vous a mis en sourdine dans ce salon : vous pouvez le lire, plus y écrire.<\/p>[^]*<textarea id="chat-body"[^>]* disabled/);
      await claire.agent.post(`/chat/rooms/${vienne}/members/${nicolasId}/mute`).type('form').send({ _csrf: csrf(page.text), muted: '0' }).expect(303);
      await claire.agent.post(`/chat/rooms/${vienne}/lock`).type('form').send({ _csrf: csrf(page.text), locked: '1' }).expect(303);
      expect((await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'fermé ?' })).error).to.contain('verrouillé');
      const locked = await elodie.agent.get(`/chat/rooms/${vienne}`).expect(200);
      expect(locked.text).to.contain('Ce salon est verrouillé');
      expect(locked.text).to.match(/<textarea id="chat-body"[^>]* disabled/);
      await claire.agent.post(`/chat/rooms/${vienne}/lock`).type('form').send({ _csrf: csrf(page.text), locked: '0' }).expect(303);
      expect((await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'rouvert' })).ok).to.equal(true);
    });

    it('lets the DANE of another département read and moderate a place room, but never a private group', async () => {
      const marc = await chatter(t, 'coordo-17');
      const sent = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'Vu par la DANE' });
      const page = await marc.agent.get(`/chat/rooms/${vienne}`).expect(200);
      expect(page.text).to.contain('Vu par la DANE');
      expect(page.text).to.contain('Retirer (modération)');
      expect(page.text).to.contain('data-confirm="Retirer ce message du salon ? Son texte sera effacé pour tout le monde."');
      expect(page.text).not.to.contain('id="chat-body"');
      await marc.agent.post(`/chat/messages/${sent.id}/delete`).type('form').send({ _csrf: csrf(page.text) }).expect(303);
      const row = await db().selectFrom('chat_messages').select('deleted_at').where('id', '=', sent.id as number).executeTakeFirstOrThrow();
      expect(row.deleted_at).to.not.equal(null);
      const group = await db().selectFrom('chat_rooms').select('id').where('kind', '=', 'group').executeTakeFirstOrThrow();
      await marc.agent.get(`/chat/rooms/${group.id}`).expect(404);
      // A member who is neither owner nor DANE cannot remove someone else's message.
      const other = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'à Élodie' });
      await nicolas.agent.post(`/chat/messages/${other.id}/delete`).type('form').send({ _csrf: csrf(page.text) }).expect(403);
    });

    it('purges messages older than the retention period with its scheduled job', async () => {
      const old = await call(a, 'send', { roomId: vienne, clientId: cid(), body: 'très ancien' });
      await db().updateTable('chat_messages').set({ created_at: new Date(Date.now() - 400 * 86_400_000) }).where('id', '=', old.id as number).execute();
      await t.maillon.core.jobs.enqueue('chat:purge', {});
      await t.maillon.core.jobs.drain();
      // The next occurrence waits in the queue, under its schedule key.
      const scheduled = await db().selectFrom('jobs').select('unique_key').where('kind', '=', 'chat:purge').where('state', '=', 'queued').execute();
      expect(scheduled.map((j) => j.unique_key).join()).to.contain('schedule:chat:purge:');
      expect(await db().selectFrom('chat_messages').select('id').where('id', '=', old.id as number).executeTakeFirst()).to.equal(undefined);
      expect(await db().selectFrom('chat_messages').select('id').where('body', '=', 'rouvert').executeTakeFirst()).to.not.equal(undefined);
    });
  });

  it('keeps silent toward people outside a room', async () => {
    const ks = await open(karim);
    const msg = call(a, 'send', { roomId: vienne, clientId: cid(), body: 'entre nous' });
    await noMessage(ks, (m) => m.roomId === vienne);
    expect((await msg).ok).to.equal(true);
  });
});

describe(`chat invitations are rate limited (${ENGINE})`, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [CHAT], env: { PLUGIN_CHAT_INVITATIONS_PER_HOUR: '2', JOBS_RUNNER: 'false' } });
  });
  after(() => t.close());

  it('refuses a third invitation within the hour with a French 429, whatever the addresses', async () => {
    const elodie = await chatter(t, 'rupn-poitiers');
    const page = await elodie.agent.get('/chat').expect(200);
    const created = await elodie.agent.post('/chat/groups').type('form').send({ _csrf: csrf(page.text), name: 'Groupe très invitant' }).expect(303);
    const group = Number(/\/chat\/rooms\/(\d+)/.exec(created.headers.location!)![1]);
    const inviteOne = async (email: string) =>
      elodie.agent.post(`/chat/rooms/${group}/invite`).type('form').send({ _csrf: csrf((await elodie.agent.get(`/chat/rooms/${group}`).expect(200)).text), email });
    expect((await inviteOne('nicolas.petit@ac-poitiers.example')).status).to.equal(303);
    // An unknown address costs a try too: probing which addresses have an account is bounded.
    expect((await inviteOne('personne@ac-poitiers.example')).status).to.equal(422);
    const refused = await inviteOne('karim.benali@ac-poitiers.example');
    expect(refused.status).to.equal(429);
    expect(refused.headers['retry-after']).to.equal('1800');
    expect(refused.text).to.contain('beaucoup d’invitations en peu de temps');
    const invited = await t.maillon.core.db.selectFrom('chat_invitations').select('user_id').where('room_id', '=', group).execute();
    expect(invited).to.have.length(1);
  });
});
