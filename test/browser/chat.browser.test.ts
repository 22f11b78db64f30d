import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible } from '../support/browser.js';
import { call, chatter, cid } from '../chat/support.js';

describe('chat in Chromium: two RUPNs of the Vienne talk live', function () {
  this.timeout(180_000);
  const app = browserApp({ pluginDirs: [path.join(ROOT, 'plugins', 'chat')] });
  const login = (name: string): Promise<Page> => app.login(name);

  async function openVienne(page: Page): Promise<void> {
    await page.goto(`${app.t.url}/chat`);
    await page.getByRole('link', { name: 'Vienne', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Vienne' }).waitFor();
    // Live once the socket has answered the presence query.
    await page.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
  }

  it('sends with the keyboard, shows the message on the other page with the département, both pages accessible', async () => {
    const elodie = await login('Élodie Moreau');
    await elodie.goto(`${app.t.url}/chat`);
    await expectAccessible(elodie, 'liste des salons');
    const nicolas = await login('Nicolas Petit');
    await openVienne(elodie);
    await openVienne(nicolas);
    await elodie.locator('[data-online-summary]').filter({ hasText: 'Nicolas Petit' }).waitFor();

    const box = elodie.getByLabel(/Votre message/);
    await box.focus();
    await elodie.keyboard.type('Bonjour Nicolas, tu as reçu les **tablettes** ?');
    await nicolas.locator('[data-typing]').filter({ hasText: 'Élodie Moreau écrit' }).waitFor();
    await elodie.keyboard.press('Enter');

    const received = nicolas.locator('#chat-messages li', { hasText: 'tu as reçu les tablettes' });
    await received.waitFor();
    expect(await received.locator('.chat-message__author').textContent()).to.equal('Élodie Moreau');
    expect(await received.locator('.chat-message__place').textContent()).to.contain('Vienne');
    expect(await received.locator('strong', { hasText: 'tablettes' }).count()).to.equal(1);
    expect(await nicolas.locator('#chat-messages').getAttribute('aria-live')).to.equal(null);

    const mine = elodie.locator('#chat-messages li', { hasText: 'tu as reçu les tablettes' });
    await mine.locator('.chat-message__author', { hasText: 'Élodie Moreau' }).waitFor();
    expect(await mine.locator('.chat-message__state').count()).to.equal(0);
    expect(await box.inputValue()).to.equal('');

    // A message that arrived live has its actions too, and reacting does not reload the page.
    await nicolas.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true; });
    await received.locator('summary', { hasText: 'Actions' }).click();
    await received.getByRole('button', { name: 'Réagir 👍' }).click();
    await mine.locator('.chat-reactions li', { hasText: '👍 1' }).waitFor();
    await received.locator('.chat-reactions li', { hasText: '👍 1' }).waitFor();
    expect(await nicolas.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).to.equal(true);
    await received.locator('summary', { hasText: 'Actions' }).click();
    await received.getByRole('button', { name: 'Signaler' }).click();
    await nicolas.locator('[data-chat-status]', { hasText: 'le message est signalé' }).waitFor();
    expect(await nicolas.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).to.equal(true);
    await expectAccessible(nicolas, 'salon après une réaction et un signalement');

    await nicolas.getByLabel(/Votre message/).fill('Oui, arrivées hier !');
    await nicolas.getByRole('button', { name: 'Envoyer' }).click();
    await elodie.locator('#chat-messages li', { hasText: 'Oui, arrivées hier !' }).waitFor();

    // « @nic » offers Nicolas: Enter picks him rather than sending; the next Enter sends.
    await box.pressSequentially('Merci @nic');
    const offer = elodie.getByRole('option', { name: /Nicolas Petit \(@nicolas\.petit\)/ });
    await expectVisible(offer);
    await expectAccessible(elodie, 'suggestions de mention dans le salon');
    await box.press('Enter');
    expect(await box.inputValue()).to.equal('Merci @nicolas.petit ');
    await box.press('Enter');
    // The mention is set apart, and the message marked on the page of the one mentioned.
    const thanks = nicolas.locator('#chat-messages li', { hasText: 'Merci @nicolas.petit' });
    await thanks.waitFor();
    expect(await thanks.getAttribute('class')).to.contain('chat-message--mentions-me');
    expect(await thanks.locator('.chat-message__mentions-me').textContent()).to.equal('vous mentionne');
    const mention = thanks.locator('.chat-message__body .mention', { hasText: '@nicolas.petit' });
    expect(await mention.evaluate((node) => getComputedStyle(node).fontWeight)).to.equal('600');
    const sent = elodie.locator('#chat-messages li[data-id]:not([data-id="0"])', { hasText: 'Merci @nicolas.petit' });
    await sent.locator('.mention').waitFor();
    expect(await sent.getAttribute('class')).not.to.contain('mentions-me');

    // Élodie corrects her first message in place: Escape cancels, Enter saves; the page stays,
    // and both pages show the new text, marked as edited.
    await elodie.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true; });
    await mine.locator('summary', { hasText: 'Actions' }).click();
    await mine.getByRole('link', { name: 'Modifier' }).click();
    const editBox = mine.getByLabel('Modifier votre message');
    await expectVisible(editBox);
    expect(await editBox.inputValue()).to.equal('Bonjour Nicolas, tu as reçu les **tablettes** ?');
    expect(await elodie.evaluate(() => document.activeElement?.id)).to.match(/^edition-\d+$/);
    await expectAccessible(elodie, 'modification d\'un message sur place');
    await editBox.press('Escape');
    expect(await mine.locator('.chat-edit').count()).to.equal(0);
    await mine.locator('summary', { hasText: 'Actions' }).click();
    await mine.getByRole('link', { name: 'Modifier' }).click();
    await editBox.fill('Bonjour Nicolas, tu as reçu les **tablettes** et les chargeurs ?');
    await editBox.press('Enter');
    const edited = nicolas.locator('#chat-messages li', { hasText: 'et les chargeurs' });
    await edited.locator('.chat-message__edited').waitFor();
    await mine.locator('.chat-message__body', { hasText: 'et les chargeurs' }).waitFor();
    expect(await mine.locator('.chat-edit').count()).to.equal(0);
    await elodie.locator('[data-chat-status]', { hasText: 'Message modifié.' }).waitFor();
    expect(await elodie.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).to.equal(true);
    // After a reload, the server-rendered message offers the same, with its current source.
    await elodie.reload();
    await elodie.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    await mine.locator('summary', { hasText: 'Actions' }).click();
    await mine.getByRole('link', { name: 'Modifier' }).click();
    expect(await editBox.inputValue()).to.equal('Bonjour Nicolas, tu as reçu les **tablettes** et les chargeurs ?');
    await editBox.press('Escape');

    await expectAccessible(elodie, 'salon de la Vienne (expéditrice)');
    await expectAccessible(nicolas, 'salon de la Vienne (destinataire)');

    // A reload shows the same history, rendered by the server, exactly once.
    await nicolas.reload();
    expect(await nicolas.locator('#chat-messages li', { hasText: 'tu as reçu les tablettes' }).count()).to.equal(1);
    expect(await nicolas.locator('#chat-messages li', { hasText: 'Oui, arrivées hier !' }).count()).to.equal(1);

    // On the room list, the unread count of the Vienne goes up live.
    await nicolas.goto(`${app.t.url}/chat`);
    const item = nicolas.locator('[data-chat-rooms] li', { has: nicolas.getByRole('link', { name: 'Vienne', exact: true }) });
    expect(await item.locator('[data-unread]').count()).to.equal(0);
    await nicolas.locator('[data-chat-rooms][data-live="true"]').waitFor({ state: 'attached' });
    await elodie.getByLabel(/Votre message/).fill('Et le chargeur ?');
    await elodie.keyboard.press('Enter');
    await item.locator('[data-unread]', { hasText: '1 non lu' }).waitFor();
    await expectAccessible(nicolas, 'liste des salons avec un non-lu');
  });

  it('shows a new direct message on the open room list of its recipient, with its unread count', async () => {
    const db = app.t.maillon.core.db;
    const ids = (await db.selectFrom('users').select('id').where('email', 'in', ['elodie.moreau@ac-poitiers.example', 'karim.benali@ac-poitiers.example']).execute()).map((u) => u.id).sort((x, y) => x - y);
    await db.deleteFrom('chat_rooms').where('slug', '=', `dm:${ids[0]}:${ids[1]}`).execute(); // a first conversation, whatever ran before
    const karim = await login('Karim Benali');
    await karim.goto(`${app.t.url}/chat`);
    await karim.locator('[data-chat-rooms][data-live="true"]').waitFor({ state: 'attached' });
    const row = karim.locator('[data-chat-rooms] li', { has: karim.getByRole('link', { name: 'Élodie Moreau', exact: true }) });
    expect(await row.count()).to.equal(0);

    const elodie = await login('Élodie Moreau');
    await elodie.goto(`${app.t.url}/chat/personnes?q=karim`);
    await elodie.getByRole('button', { name: 'Écrire à Karim Benali' }).click();
    await elodie.getByRole('heading', { level: 1, name: 'Conversation avec Karim Benali' }).waitFor();
    await row.waitFor();
    expect(await row.locator('.muted').textContent()).to.equal('message direct');
    await elodie.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    await elodie.getByLabel(/Votre message/).fill('Bonjour Karim, tu viens jeudi ?');
    await elodie.keyboard.press('Enter');
    await row.locator('[data-unread]', { hasText: '1 non lu' }).waitFor();
    await expectAccessible(karim, 'liste des salons avec un nouveau message direct');
    await row.getByRole('link').click();
    await karim.locator('#chat-messages li', { hasText: 'tu viens jeudi' }).waitFor();
  });

  /** A topic room of its own for a test, with Élodie and Nicolas as members and `count` messages from Élodie. */
  async function seededTopic(slug: string, count: number): Promise<{ roomId: number; ids: number[]; elodieId: number; nicolasId: number }> {
    const db = app.t.maillon.core.db;
    const userId = async (email: string) => (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
    const [elodieId, nicolasId] = await Promise.all([userId('elodie.moreau@ac-poitiers.example'), userId('nicolas.petit@ac-poitiers.example')]);
    const roomId = (await db.selectFrom('chat_rooms').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    await db.insertInto('chat_members').values([{ room_id: roomId, user_id: elodieId }, { room_id: roomId, user_id: nicolasId }]).onConflict((oc) => oc.doNothing()).execute();
    const rows = await db.insertInto('chat_messages')
      .values(Array.from({ length: count }, (_, i) => ({ room_id: roomId, author_id: elodieId, client_id: cid('seed'), body: `Message ancien numéro ${i + 1}` })))
      .returning('id').execute();
    return { roomId, ids: rows.map((r) => Number(r.id)).sort((x, y) => x - y), elodieId, nicolasId };
  }

  /** Where an element is relative to the window: above it, in it, or below it. */
  const placeOf = (page: Page, selector: string) => page.locator(selector).evaluate((node) => {
    const box = node.getBoundingClientRect();
    return box.bottom <= 0 ? 'above' : box.top >= window.innerHeight ? 'below' : 'visible';
  });

  it('opens a room at the first unread message, else at the latest by the composer, and follows live messages only from the bottom', async () => {
    const { roomId, ids, nicolasId } = await seededTopic('topic:gar', 40);
    await app.t.maillon.core.db.updateTable('chat_members').set({ last_read_id: ids[24]! }).where('room_id', '=', roomId).where('user_id', '=', nicolasId).execute();
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    // Unread from the 26th: the marker « Nouveaux messages » is on screen, the oldest messages above it.
    expect(await placeOf(nicolas, '[data-unread-marker]')).to.equal('visible');
    expect(await placeOf(nicolas, `#m${ids[0]}`)).to.equal('above');
    // Everything read: the room opens at its latest message, with the composer.
    await nicolas.reload();
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    expect(await nicolas.locator('[data-unread-marker]').count()).to.equal(0);
    expect(await placeOf(nicolas, `#m${ids.at(-1)}`)).to.equal('visible');
    expect(await placeOf(nicolas, '#chat-body')).to.equal('visible');
    expect(await placeOf(nicolas, `#m${ids[0]}`)).to.equal('above');

    // At the bottom, a new message from Élodie comes into view and the composer stays on screen.
    const elodie = await (await chatter(app.t, 'rupn-poitiers')).socket();
    try {
      expect((await call(elodie, 'send', { roomId, clientId: cid(), body: 'Premier message en direct' })).ok).to.equal(true);
      const first = nicolas.locator('#chat-messages li', { hasText: 'Premier message en direct' });
      await first.waitFor();
      expect(await placeOf(nicolas, `#${await first.getAttribute('id')}`)).to.equal('visible');
      expect(await placeOf(nicolas, '#chat-body')).to.equal('visible');
      // Scrolled up to read history, Nicolas is left where he is.
      await nicolas.evaluate(() => window.scrollTo(0, 0));
      expect((await call(elodie, 'send', { roomId, clientId: cid(), body: 'Second message en direct' })).ok).to.equal(true);
      await nicolas.locator('#chat-messages li', { hasText: 'Second message en direct' }).waitFor();
      expect(await nicolas.evaluate(() => window.scrollY)).to.equal(0);
    } finally {
      elodie.close();
    }
  });

  it('replies once in reply mode, then writes to the room again', async () => {
    const { roomId, ids } = await seededTopic('topic:pix', 3);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const root = nicolas.locator(`#m${ids[1]}`);
    await root.locator('summary', { hasText: 'Actions' }).click();
    await root.getByRole('link', { name: 'Répondre dans le fil' }).click();
    await expectVisible(nicolas.getByText('En réponse à Élodie Moreau — annuler'));
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const box = nicolas.getByLabel(/Votre message/);
    await box.fill('Réponse au deuxième message');
    await box.press('Enter');
    await nicolas.locator('#chat-messages li', { hasText: 'Réponse au deuxième message' }).locator('.chat-message__parent', { hasText: 'En réponse à Élodie Moreau' }).waitFor();
    expect(await nicolas.getByText('En réponse à Élodie Moreau — annuler').count()).to.equal(0);
    expect(nicolas.url()).to.equal(`${app.t.url}/chat/rooms/${roomId}`);
    await box.fill('Et maintenant pour tout le salon');
    await box.press('Enter');
    const plain = nicolas.locator('#chat-messages li[data-id]:not([data-id="0"])', { hasText: 'Et maintenant pour tout le salon' });
    await plain.waitFor();
    expect(await plain.locator('.chat-message__parent').count()).to.equal(0);
    const stored = await app.t.maillon.core.db.selectFrom('chat_messages').select(['body', 'reply_to']).where('room_id', '=', roomId).where('body', 'like', 'R%ponse au deux%').executeTakeFirstOrThrow();
    expect(stored.reply_to).to.equal(ids[1]);
    const second = await app.t.maillon.core.db.selectFrom('chat_messages').select('reply_to').where('body', '=', 'Et maintenant pour tout le salon').executeTakeFirstOrThrow();
    expect(second.reply_to).to.equal(null);
  });

  it("shows on a thread view only the thread's live messages", async () => {
    const { roomId, ids } = await seededTopic('topic:rgpd', 2);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}?thread=${ids[0]}`);
    await nicolas.getByRole('heading', { level: 1, name: 'RGPD — fil de discussion' }).waitFor();
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const elodie = await (await chatter(app.t, 'rupn-poitiers')).socket();
    try {
      expect((await call(elodie, 'send', { roomId, clientId: cid(), body: 'Hors du fil, pour tout le salon' })).ok).to.equal(true);
      expect((await call(elodie, 'send', { roomId, clientId: cid(), body: 'Dans le fil, en réponse', replyTo: ids[0] })).ok).to.equal(true);
      await nicolas.locator('#chat-messages li', { hasText: 'Dans le fil, en réponse' }).waitFor();
      expect(await nicolas.locator('#chat-messages li', { hasText: 'Hors du fil' }).count()).to.equal(0);
      expect(await nicolas.locator('#chat-messages li', { hasText: 'Message ancien numéro 2' }).count()).to.equal(0);
    } finally {
      elodie.close();
    }
  });

  it('shows, once reconnected, the edits, deletions and reactions made while the page was offline', async () => {
    const { roomId, ids, nicolasId } = await seededTopic('topic:tablettes', 3);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    // The network goes; the server drops the connection; meanwhile Élodie changes her messages.
    await nicolas.context().setOffline(true);
    app.t.maillon.io.of('/chat').in(`user:${nicolasId}`).disconnectSockets(true);
    const elodie = await (await chatter(app.t, 'rupn-poitiers')).socket();
    try {
      expect((await call(elodie, 'edit', { messageId: ids[0], body: 'Message ancien, **corrigé**' })).ok).to.equal(true);
      expect((await call(elodie, 'delete', { messageId: ids[1] })).ok).to.equal(true);
      expect((await call(elodie, 'react', { messageId: ids[2], emoji: '👀' })).ok).to.equal(true);
    } finally {
      elodie.close();
    }
    expect(await nicolas.locator(`#m${ids[1]}.chat-message--deleted`).count()).to.equal(0);
    await nicolas.context().setOffline(false);
    await nicolas.locator(`#m${ids[0]} .chat-message__body strong`, { hasText: 'corrigé' }).waitFor();
    await nicolas.locator(`#m${ids[0]} .chat-message__edited`).waitFor();
    await nicolas.locator(`#m${ids[1]}.chat-message--deleted`, { hasText: 'Message supprimé.' }).waitFor();
    await nicolas.locator(`#m${ids[2]} .chat-reactions li`, { hasText: '1' }).waitFor();
    expect(await nicolas.locator('#chat-messages li.chat-message').count()).to.equal(3);
  });

  it("announces in short only the new messages of others, neither one's own nor reactions", async () => {
    const { roomId } = await seededTopic('topic:ent', 1);
    const elodie = await login('Élodie Moreau');
    const nicolas = await login('Nicolas Petit');
    for (const page of [elodie, nicolas]) {
      await page.goto(`${app.t.url}/chat/rooms/${roomId}`);
      await page.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    }
    const heard = (page: Page) => page.locator('[data-chat-announcer] p').allTextContents();
    expect(await nicolas.locator('#chat-messages').getAttribute('aria-live')).to.equal(null);
    expect(await nicolas.locator('[data-chat-announcer]').getAttribute('aria-live')).to.equal('polite');

    await elodie.getByLabel(/Votre message/).fill('Bonjour **à tous**, la [réunion](https://example.org) est jeudi');
    await elodie.keyboard.press('Enter');
    const received = nicolas.locator('#chat-messages li', { hasText: 'la réunion est jeudi' });
    await received.waitFor();
    expect(await heard(nicolas)).to.deep.equal(['Élodie Moreau : Bonjour à tous, la réunion est jeudi']);
    const mine = elodie.locator('#chat-messages li', { hasText: 'la réunion est jeudi' });
    await mine.locator('.chat-message__author', { hasText: 'Élodie Moreau' }).waitFor();

    // A reaction replaces the message on both pages: nobody hears it again.
    await received.locator('summary', { hasText: 'Actions' }).click();
    await received.getByRole('button', { name: 'Réagir 👍' }).click();
    await mine.locator('.chat-reactions li', { hasText: '1' }).waitFor();
    await received.locator('.chat-reactions li', { hasText: '1' }).waitFor();

    await nicolas.getByLabel(/Votre message/).fill('Bien reçu');
    await nicolas.keyboard.press('Enter');
    await elodie.locator('#chat-messages li', { hasText: 'Bien reçu' }).waitFor();
    await nicolas.locator('#chat-messages li[data-id]:not([data-id="0"])', { hasText: 'Bien reçu' }).locator('.chat-message__author', { hasText: 'Nicolas Petit' }).waitFor();
    expect(await heard(elodie)).to.deep.equal(['Nicolas Petit : Bien reçu']);
    expect(await heard(nicolas)).to.deep.equal(['Élodie Moreau : Bonjour à tous, la réunion est jeudi']);
    // A live message reads its time as the server writes it: « 23 novembre 2026 à 04:17 ».
    const liveTime = await received.locator('time').textContent();
    expect(liveTime).to.match(/^\d{1,2}(er)? \p{L}+ \d{4} à \d{2}:\d{2}$/u);
    await nicolas.reload();
    expect(await nicolas.locator('#chat-messages li', { hasText: 'la réunion est jeudi' }).locator('time').textContent()).to.equal(liveTime);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    await expectAccessible(nicolas, 'salon avec annonces courtes');
  });

  it('keeps the keyboard focus on the message after reacting or deleting, and asks before deleting', async () => {
    const { roomId, ids } = await seededTopic('topic:tablettes', 2);
    const elodie = await login('Élodie Moreau');
    await elodie.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await elodie.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const focus = () => elodie.evaluate(() => {
      const active = document.activeElement!;
      return { message: active.closest('li.chat-message')?.id ?? null, tag: active.tagName.toLowerCase(), text: active.textContent!.trim().slice(0, 20) };
    });
    const first = elodie.locator(`#m${ids[0]}`);
    await first.locator('summary', { hasText: 'Actions' }).press('Enter');
    await first.getByRole('button', { name: 'Réagir 🎉' }).press('Enter');
    await first.locator('.chat-reactions li', { hasText: '1' }).waitFor();
    await elodie.waitForTimeout(200); // the answer and the broadcast both came
    expect(await focus()).to.deep.equal({ message: `m${ids[0]}`, tag: 'summary', text: 'Actions sur le messa' });

    // Deleting asks first; « Annuler » keeps the message.
    const second = elodie.locator(`#m${ids[1]}`);
    const questions: string[] = [];
    elodie.once('dialog', (dialog) => { questions.push(dialog.message()); void dialog.dismiss(); });
    await second.locator('summary', { hasText: 'Actions' }).press('Enter');
    await second.getByRole('button', { name: 'Supprimer' }).press('Enter');
    await elodie.waitForTimeout(300);
    expect(questions).to.deep.equal(['Supprimer ce message ? Son texte sera effacé pour tout le monde.']);
    expect(await second.locator('.chat-message__body', { hasText: 'Message ancien numéro 2' }).count()).to.equal(1);
    elodie.once('dialog', (dialog) => void dialog.accept());
    await second.getByRole('button', { name: 'Supprimer' }).press('Enter');
    await second.locator('.chat-message__body', { hasText: 'Message supprimé.' }).waitFor();
    await elodie.waitForTimeout(200);
    expect(await focus()).to.include({ message: `m${ids[1]}`, tag: 'li' });
    await expectAccessible(elodie, 'salon après une suppression au clavier');
  });

  it('opens a link to an older message at its page, scrolled to it and marked, and keeps new messages for the latest page', async () => {
    const { roomId, ids } = await seededTopic('topic:rgpd', 70);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}?around=${ids[5]}#m${ids[5]}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    expect(await placeOf(nicolas, `#m${ids[5]}`)).to.equal('visible');
    expect(await nicolas.locator(`#m${ids[5]}`).getAttribute('class')).to.contain('chat-message--target');
    expect(await nicolas.locator(`#m${ids[5]}`).evaluate((node) => getComputedStyle(node).outlineStyle)).to.equal('solid');
    await expectAccessible(nicolas, 'salon ouvert sur un message ancien');
    const elodie = await (await chatter(app.t, 'rupn-poitiers')).socket();
    try {
      expect((await call(elodie, 'send', { roomId, clientId: cid(), body: 'Tout nouveau message' })).ok).to.equal(true);
      await nicolas.waitForTimeout(500);
      expect(await nicolas.locator('#chat-messages li', { hasText: 'Tout nouveau message' }).count()).to.equal(0);
    } finally {
      elodie.close();
    }
    await nicolas.getByRole('link', { name: 'Messages plus récents' }).click();
    await nicolas.locator('#chat-messages li', { hasText: 'Tout nouveau message' }).waitFor();
  });

  it('says who reacted, marks and toggles one\'s own reaction in one click, with targets of at least 24 px', async () => {
    const { roomId, ids, nicolasId } = await seededTopic('topic:pix', 1);
    await app.t.maillon.core.db.insertInto('chat_reactions').values({ message_id: ids[0]!, user_id: nicolasId, emoji: '👍' }).execute();
    const elodie = await login('Élodie Moreau');
    await elodie.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await elodie.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const message = elodie.locator(`#m${ids[0]}`);
    const thumbs = message.getByRole('button', { name: /^👍 \d/ });
    expect(await thumbs.getAttribute('aria-label')).to.equal('👍 1 : Nicolas Petit');
    expect(await thumbs.getAttribute('title')).to.equal('👍 1 : Nicolas Petit');
    expect(await thumbs.getAttribute('aria-pressed')).to.equal('false');
    await thumbs.focus();
    await elodie.keyboard.press('Enter');
    await message.getByRole('button', { name: '👍 2 : Nicolas Petit, vous', pressed: true }).waitFor();
    // The keyboard stays on the button, which the page did not reload.
    expect(await elodie.evaluate(() => document.activeElement?.getAttribute('aria-label'))).to.equal('👍 2 : Nicolas Petit, vous');
    const box = await thumbs.boundingBox();
    expect(box!.width).to.be.at.least(24);
    expect(box!.height).to.be.at.least(24);
    await expectAccessible(elodie, 'réactions avec leurs auteurs');
    // The same on the menu's quick reactions, apart from each other.
    await message.locator('summary', { hasText: 'Actions' }).click();
    const quick = await message.locator('.chat-react button').evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, width: r.width, height: r.height })));
    for (const q of quick) expect(Math.min(q.width, q.height)).to.be.at.least(24);
    for (let i = 1; i < quick.length; i++) expect(quick[i]!.left - quick[i - 1]!.right).to.be.at.least(4);
    await message.locator('summary', { hasText: 'Actions' }).click();
    // Clicked again, it takes the reaction back.
    await message.getByRole('button', { name: '👍 2 : Nicolas Petit, vous' }).click();
    await message.getByRole('button', { name: '👍 1 : Nicolas Petit', pressed: false }).waitFor();
    expect(await app.t.maillon.core.db.selectFrom('chat_reactions').select('user_id').where('message_id', '=', ids[0]!).execute()).to.deep.equal([{ user_id: nicolasId }]);
  });

  it('disables the composer in place when a moderator locks the room or mutes the reader, keeping the draft', async () => {
    const { roomId, nicolasId } = await seededTopic('topic:gar', 1);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    await nicolas.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true; });
    const box = nicolas.getByLabel(/Votre message/);
    await box.fill('Un brouillon à ne pas perdre');
    const claire = await chatter(app.t, 'dane');
    const csrfOf = async () => /name="_csrf" value="([^"]+)"/.exec((await claire.agent.get(`/chat/rooms/${roomId}`).expect(200)).text)![1]!;
    const moderate = async (path: string, field: Record<string, string>) => claire.agent.post(`/chat/rooms/${roomId}/${path}`).type('form').send({ _csrf: await csrfOf(), ...field }).expect(303);

    await moderate('lock', { locked: '1' });
    await nicolas.locator('[data-composer-blocked]', { hasText: 'Ce salon est verrouillé' }).waitFor();
    expect(await box.isDisabled()).to.equal(true);
    expect(await nicolas.getByRole('button', { name: 'Envoyer' }).isDisabled()).to.equal(true);
    expect(await box.inputValue()).to.equal('Un brouillon à ne pas perdre');
    await nicolas.locator('[data-chat-status]', { hasText: 'Ce salon est verrouillé' }).waitFor();
    await expectAccessible(nicolas, 'salon verrouillé en direct');
    await moderate('lock', { locked: '0' });
    await nicolas.locator('[data-composer-blocked]').waitFor({ state: 'hidden' });
    expect(await box.isEnabled()).to.equal(true);

    await moderate(`members/${nicolasId}/mute`, { muted: '1' });
    await nicolas.locator('[data-composer-blocked]', { hasText: 'Un modérateur vous a mis en sourdine dans ce salon' }).waitFor();
    expect(await box.isDisabled()).to.equal(true);
    await moderate(`members/${nicolasId}/mute`, { muted: '0' });
    await nicolas.locator('[data-composer-blocked]').waitFor({ state: 'hidden' });
    expect(await box.inputValue()).to.equal('Un brouillon à ne pas perdre');
    expect(await nicolas.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).to.equal(true);
    await box.press('Enter');
    await nicolas.locator('#chat-messages li[data-id]:not([data-id="0"])', { hasText: 'Un brouillon à ne pas perdre' }).waitFor();
  });

  it('takes someone who leaves off the member list and the online line, and says when the connection is lost and back', async () => {
    const { roomId, nicolasId } = await seededTopic('topic:ent', 1);
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat/rooms/${roomId}`);
    await nicolas.locator('[data-online-summary]').filter({ hasText: 'en ligne' }).waitFor();
    const elodie = await chatter(app.t, 'rupn-poitiers');
    const socket = await elodie.socket();
    try {
      await nicolas.locator('[data-online-summary]', { hasText: 'Élodie Moreau' }).waitFor();
      const count = Number(await nicolas.locator('[data-members-count]').textContent());
      const page = await elodie.agent.get('/chat').expect(200);
      await elodie.agent.post(`/chat/rooms/${roomId}/leave`).type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! }).expect(303);
      await nicolas.locator('[data-members] li', { hasText: 'Élodie Moreau' }).waitFor({ state: 'detached' });
      expect(Number(await nicolas.locator('[data-members-count]').textContent())).to.equal(count - 1);
      await nicolas.locator('[data-online-summary]', { hasText: 'Élodie Moreau' }).waitFor({ state: 'detached' });
    } finally {
      socket.close();
    }

    // The server drops the connection and the network is gone: the page says so, then that it is back.
    await nicolas.context().setOffline(true);
    app.t.maillon.io.of('/chat').in(`user:${nicolasId}`).disconnectSockets(true);
    const line = nicolas.locator('[data-connection]');
    await line.filter({ hasText: 'Connexion perdue, nouvelle tentative…' }).waitFor();
    expect(await line.getAttribute('role')).to.equal('status');
    await expectAccessible(nicolas, 'salon hors connexion');
    await nicolas.context().setOffline(false);
    await line.filter({ hasText: 'Reconnecté' }).waitFor();
  });

  it('invites a colleague into a private group, who joins from the invitation; pages pass axe', async () => {
    const elodie = await login('Élodie Moreau');
    await elodie.goto(`${app.t.url}/chat`);
    await elodie.getByLabel('Nom du groupe').fill('Tablettes au collège');
    await elodie.getByRole('button', { name: 'Créer le groupe' }).click();
    await elodie.getByRole('heading', { level: 1, name: 'Tablettes au collège' }).waitFor();
    await elodie.getByLabel('Inviter (nom ou adresse électronique)').fill('nicolas');
    await elodie.getByRole('button', { name: 'Chercher', exact: true }).click();
    await expectAccessible(elodie, 'personnes à inviter');
    await elodie.getByRole('button', { name: 'Inviter Nicolas Petit' }).click();
    await expectVisible(elodie.getByText('Invitation envoyée à Nicolas Petit'));
    await expectVisible(elodie.getByRole('button', { name: "Retirer l'invitation de Nicolas Petit" }));
    await expectAccessible(elodie, 'groupe avec une invitation en attente');

    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat`);
    await expectVisible(nicolas.getByRole('heading', { name: '1 invitation en attente' }));
    await expectAccessible(nicolas, 'liste des salons avec une invitation');
    await nicolas.getByRole('button', { name: 'Rejoindre le groupe Tablettes au collège' }).click();
    await nicolas.getByRole('heading', { level: 1, name: 'Tablettes au collège' }).waitFor();
    await expectVisible(nicolas.getByText('Vous avez rejoint le groupe « Tablettes au collège »'));
  });

  it('finds a colleague by name and writes to her from the list; the search page passes axe', async () => {
    const nicolas = await login('Nicolas Petit');
    await nicolas.goto(`${app.t.url}/chat`);
    await nicolas.getByRole('searchbox', { name: 'Nom ou adresse électronique' }).fill('elodie');
    await nicolas.getByRole('button', { name: 'Chercher', exact: true }).click();
    await nicolas.waitForURL(/\/chat\/personnes\?q=elodie/);
    expect(await nicolas.getByRole('status').textContent()).to.equal('1 personne trouvée');
    await expectAccessible(nicolas, 'recherche de personnes');
    await nicolas.getByRole('button', { name: 'Écrire à Élodie Moreau' }).click();
    await nicolas.getByRole('heading', { level: 1, name: 'Conversation avec Élodie Moreau' }).waitFor();
    await expectVisible(nicolas.getByLabel(/Votre message/));
  });
});
