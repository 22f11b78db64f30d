import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible } from '../support/browser.js';

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
    expect(await nicolas.locator('#chat-messages').getAttribute('aria-live')).to.equal('polite');

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
    await nicolas.locator('#chat-messages li', { hasText: 'Merci @nicolas.petit' }).waitFor();

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
