import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ROOT } from '../support/testApp.js';
import { browserApp, expectAccessible, expectVisible, submitWithKeyboard } from '../support/browser.js';
import { toParisLocal } from '../../plugins/events/time.js';
import { createEvent, parisIn } from '../events/helpers.js';

describe('events in Chromium: a coordinator publishes a webinar, a RUPN registers', function () {
  this.timeout(180_000);
  const app = browserApp({ pluginDirs: [path.join(ROOT, 'plugins', 'home'), path.join(ROOT, 'plugins', 'events')], env: { JOBS_RUNNER: 'false' } });
  const login = (name: RegExp): Promise<Page> => app.login(name);

  it('publishes a webinar through the form, with errors announced and fixed, then a RUPN registers and leaves', async () => {
    const claire = await login(/Se connecter en tant que Claire Dubois/);
    await claire.goto(`${app.t.url}/events`);
    await claire.getByRole('link', { name: 'Créer un événement' }).click();
    await claire.waitForURL(`${app.t.url}/events/nouveau`, { waitUntil: 'load' });
    await expectAccessible(claire, 'formulaire de création');
    await claire.getByLabel('Titre', { exact: true }).fill('Webinaire : Pix en classe');
    await claire.getByLabel('Description (Markdown)').fill('Prendre en main **Pix Orga** avec ses classes.');
    await claire.getByLabel('Type', { exact: true }).selectOption({ label: 'Webinaire' });
    const start = new Date(Date.now() + 3 * 24 * 3600_000);
    start.setUTCMinutes(0, 0, 0);
    // End before the start: refused, with the message tied to the field.
    await claire.getByLabel('Début', { exact: true }).fill(toParisLocal(start));
    await claire.getByLabel('Fin', { exact: true }).fill(toParisLocal(new Date(start.getTime() - 3600_000)));
    await claire.getByLabel('Nombre de places (vide : sans limite)').fill('30');
    await claire.getByLabel('Outil de visioconférence').selectOption({ label: 'BigBlueButton' });
    await claire.getByLabel(/Lien de visioconférence/).fill('https://bbb.example.org/rooms/pix');
    await submitWithKeyboard(claire, claire.getByRole('button', { name: "Publier l'événement" }));
    expect(await claire.getByRole('alert').textContent()).to.contain('La fin doit être après le début.');
    expect(await claire.getByLabel('Titre', { exact: true }).inputValue()).to.equal('Webinaire : Pix en classe');
    await expectAccessible(claire, 'formulaire avec erreurs');
    await claire.getByLabel('Fin', { exact: true }).fill(toParisLocal(new Date(start.getTime() + 3600_000)));
    await submitWithKeyboard(claire, claire.getByRole('button', { name: "Publier l'événement" }));
    expect(await claire.getByRole('heading', { level: 1 }).textContent()).to.equal('Webinaire : Pix en classe');
    await expectAccessible(claire, "page de l'événement (organisatrice)");

    const pauline = await login(/Se connecter en tant que Pauline Girard/);
    await pauline.goto(`${app.t.url}/events`);
    await expectAccessible(pauline, 'liste des événements');
    await pauline.getByRole('link', { name: 'Webinaire : Pix en classe' }).click();
    await pauline.waitForURL(/\/events\/\d+$/, { waitUntil: 'load' });
    await expectVisible(pauline.getByText('30 places restantes sur 30'));
    await expectAccessible(pauline, "page de l'événement");
    await submitWithKeyboard(pauline, pauline.getByRole('button', { name: "M'inscrire" }));
    await expectVisible(pauline.getByText('Vous êtes inscrit·e. Un courriel de confirmation vous est envoyé.'));
    await expectVisible(pauline.getByText('29 places restantes sur 30'));
    await expectVisible(pauline.getByText(/Le lien de la visioconférence s'affichera ici/));
    expect(await pauline.getByRole('link', { name: /Rejoindre la visioconférence/ }).count()).to.equal(0);
    await expectAccessible(pauline, "page de l'événement, inscrite");

    await pauline.goto(`${app.t.url}/events/calendrier?mois=${toParisLocal(start).slice(0, 7)}`);
    await expectVisible(pauline.getByRole('link', { name: 'Webinaire : Pix en classe' }));
    await expectAccessible(pauline, 'calendrier du mois');
    await pauline.goto(`${app.t.url}/events/mon-agenda`);
    await submitWithKeyboard(pauline, pauline.getByRole('button', { name: "Créer mon adresse d'agenda" }));
    expect(await pauline.getByLabel('Adresse de votre agenda (à garder pour vous)').inputValue()).to.match(/\/events\/flux\/[\w-]+\.ics$/);
    await expectAccessible(pauline, 'mon agenda');

    await pauline.goto(`${app.t.url}/events`);
    await expectVisible(pauline.getByText('Vous êtes inscrit·e'));
    await pauline.getByRole('link', { name: 'Webinaire : Pix en classe' }).click();
    await pauline.waitForURL(/\/events\/\d+$/, { waitUntil: 'load' });
    // Leaving asks first; « Annuler » keeps the seat.
    const asked: string[] = [];
    pauline.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await pauline.getByRole('button', { name: 'Me désinscrire' }).click();
    expect(asked).to.deep.equal(['Vous désinscrire de cet événement ? Votre place pourra revenir à une autre personne.']);
    await expectVisible(pauline.getByText('29 places restantes sur 30'));
    pauline.once('dialog', (dialog) => void dialog.accept());
    await submitWithKeyboard(pauline, pauline.getByRole('button', { name: 'Me désinscrire' }));
    await expectVisible(pauline.getByText('Vous êtes désinscrit·e.'));
    await expectVisible(pauline.getByText('30 places restantes sur 30'));

    const eventUrl = claire.url();
    await claire.goto(eventUrl.replace(/\/?$/, '') + '/presences');
    await expectAccessible(claire, 'participants');

    // Cancelling asks first too, then tells the participants with the organiser's message.
    await claire.goto(eventUrl);
    await claire.getByLabel('Message aux participants (facultatif)').fill('Reporté au mois prochain.');
    claire.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await claire.getByRole('button', { name: "Annuler l'événement" }).click();
    expect(asked[1]).to.equal("Annuler l'événement ? Personne ne s'y est inscrit. Cette action est définitive.");
    expect(await claire.getByText('Cet événement est annulé.').count()).to.equal(0);
    claire.once('dialog', (dialog) => void dialog.accept());
    await submitWithKeyboard(claire, claire.getByRole('button', { name: "Annuler l'événement" }));
    await expectVisible(claire.getByText('Cet événement est annulé.').first());
    await expectAccessible(claire, 'événement annulé');
  });

  it('shows the month on a phone as the days that have events, each named in full, within the screen', async () => {
    const claire = await app.t.loginAs('dane');
    const startsAt = parisIn(72);
    await createEvent(claire, { title: 'Atelier : accompagner les enseignants dans Pix Orga', startsAt, endsAt: parisIn(73) });
    await createEvent(claire, { title: 'Café numérique des référents', startsAt: parisIn(74), endsAt: parisIn(75) });
    const pauline = await login(/Se connecter en tant que Pauline Girard/);
    await pauline.setViewportSize({ width: 390, height: 800 });
    await pauline.goto(`${app.t.url}/events/calendrier?mois=${startsAt.slice(0, 7)}`);
    const link = pauline.getByRole('link', { name: 'Atelier : accompagner les enseignants dans Pix Orga' });
    await expectVisible(link);
    expect(await pauline.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    const box = (await link.boundingBox())!;
    expect(box.x + box.width).to.be.at.most(390);
    // The day reads in full above its events, as « jeudi 26 ».
    const day = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${startsAt.slice(0, 10)}T12:00:00Z`));
    await expectVisible(pauline.locator('.month td', { has: link }).getByText(day, { exact: true }));
    expect(await pauline.getByRole('columnheader', { name: 'mercredi' }).isVisible()).to.equal(false);
    await expectAccessible(pauline, 'calendrier du mois sur un téléphone');

    // A wide screen keeps the grid with its weekday headers.
    await pauline.setViewportSize({ width: 1280, height: 800 });
    await expectVisible(pauline.getByRole('columnheader', { name: 'mercredi' }));
    await pauline.close();
  });
});
