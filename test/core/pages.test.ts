import { expect } from 'chai';
import { startTestApp, csrfFrom, type TestApp } from '../support/testApp.js';

describe('core pages over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('shows a French landing page to visitors, with a login link', async () => {
    const res = await t.agent().get('/').expect(200);
    expect(res.text).to.contain('<html lang="fr">');
    expect(res.text).to.contain('Bienvenue sur Maillon');
    expect(res.text).to.contain('href="/login"');
    expect(res.headers['set-cookie'], 'no session for a page without form').to.equal(undefined);
  });

  it('tells screen readers how many notifications are unread, with agreement: « 1 non lue », « 2 non lues »', async () => {
    const core = t.maillon.core;
    core.notifications.declareKind('test', { id: 'test:badge', label: 'Essai du badge', defaultEmail: 'never' });
    const rupn = (await core.users.byIdentity('demo', 'rupn'))!;
    const client = await t.loginAs('rupn');
    await core.notifications.notify([rupn.id], { kind: 'test:badge', title: 'Première' });
    expect((await client.get('/profile').expect(200)).text).to.contain('<span class="badge">1<span class="visually-hidden"> non lue</span></span>');
    await core.notifications.notify([rupn.id], { kind: 'test:badge', title: 'Deuxième' });
    expect((await client.get('/profile').expect(200)).text).to.contain('<span class="badge">2<span class="visually-hidden"> non lues</span></span>');
  });

  it('answers /healthz with the database state', async () => {
    const res = await t.agent().get('/healthz').expect(200);
    expect(res.body.status).to.equal('ok');
    expect(res.body.database.status).to.equal('up');
    expect(res.body.database.engine).to.be.oneOf(['pglite', 'postgres']);
    expect(res.body.database.latencyMs).to.be.a('number');
  });

  it('answers /favicon.ico with the logo that pages declare as their icon', async () => {
    const res = await t.agent().get('/favicon.ico').expect(301);
    expect(res.headers.location).to.equal('/static/img/maillon.svg');
    const icon = await t.agent().get(res.headers.location!).expect(200);
    expect(icon.headers['content-type']).to.match(/^image\/svg\+xml/);
  });

  it('lists the demo accounts of every role on the development login page', async () => {
    const res = await t.agent().get('/auth/dev').expect(200);
    for (const name of ['Pauline Girard', 'Karim Benali', 'Sophie Martin', 'Jean-Marc Roux', 'Claire Dubois', 'Thomas Leroy']) {
      expect(res.text).to.contain(name);
    }
    expect(res.text).to.contain("Chef d&#39;établissement");
  });

  it('logs in with one click and shows the dashboard with the widgets plugins contribute', async () => {
    const client = await t.loginAs('nouvelle-rupn');
    const res = await client.get('/').expect(200);
    expect(res.text).to.contain('Bonjour Pauline');
    expect(res.text).to.contain('data-widget="welcome"');
    expect(res.text).to.contain('data-widget="network"');
    expect(res.text).to.contain('Vienne');
    expect(res.text, 'admin-only widget hidden').not.to.contain('data-widget="platform"');
    expect(res.text).to.contain('Navigation principale');
    expect(res.text).to.contain('href="/home/aide"');
    expect(res.text, 'no admin link for a RUPN').not.to.contain('href="/admin"');
  });

  it("groups a plugin's entries into one link of the main bar, with the section's own bar on its pages", async () => {
    const links = (html: string, label: string) => {
      const nav = new RegExp(`<nav class="[^"]*" aria-label="${label}">([^]*?)</nav>`).exec(html);
      return nav ? [...nav[1]!.matchAll(/<a href="([^"]+)"( aria-current="(\w+)")?>([^<]+)<\/a>/g)].map((m) => `${m[4]} ${m[1]}${m[3] ? ` (${m[3]})` : ''}`) : null;
    };
    const rupn = await t.loginAs('rupn');
    const home = (await rupn.get('/').expect(200)).text;
    expect(links(home, 'Navigation principale')).to.deep.equal([
      'Accueil / (page)', 'Formation /training/mon-parcours', 'Mission RUPN /mission', 'Forums /forums', 'Bilan annuel /bilan',
      'Discussions /chat', 'Événements /events', 'La LINE /newsletter', 'Aide /home/aide',
    ]);
    expect(links(home, 'Formation'), 'no section bar outside the section').to.equal(null);
    const catalogue = (await rupn.get('/training/catalogue').expect(200)).text;
    expect(links(catalogue, 'Navigation principale')).to.include('Formation /training/mon-parcours (true)');
    expect(links(catalogue, 'Formation')).to.deep.equal(['Mon parcours /training/mon-parcours', 'Catalogue /training/catalogue (page)']);
    // A section of which she may open one page only has no bar of its own.
    expect(links((await rupn.get('/newsletter').expect(200)).text, 'La LINE')).to.equal(null);

    // The DANE's bar holds what she may do, the longer link deciding which page is current.
    const dane = await t.loginAs('dane');
    const moderation = (await dane.get('/chat/moderation').expect(200)).text;
    expect(links(moderation, 'Discussions')).to.deep.equal(['Salons /chat', 'Modération /chat/moderation (page)']);
    expect(links((await dane.get('/training/suivi').expect(200)).text, 'Formation')).to.deep.equal([
      'Suivi des parcours /training/suivi (page)', 'Parcours et cohortes /training/parcours', 'Mon parcours /training/mon-parcours', 'Catalogue /training/catalogue',
    ]);
  });

  it('shows the profile: name, establishment, département and roles', async () => {
    const client = await t.loginAs('chef');
    const res = await client.get('/profile').expect(200);
    expect(res.text).to.contain('Jean-Marc Roux');
    expect(res.text).to.contain('Collège Jean Zay');
    expect(res.text).to.contain('Deux-Sèvres (79)');
    expect(res.text).to.contain("Chef d&#39;établissement");
  });

  it('logs out with a POST that carries the CSRF token', async () => {
    const client = await t.loginAs('rupn');
    const home = await client.get('/').expect(200);
    const out = await client.post('/logout').type('form').send({ _csrf: csrfFrom(home.text) }).expect(303);
    // The page one lands on says it is done.
    expect(out.headers.location).to.equal('/?deconnexion=1');
    expect((await client.get(out.headers.location!).expect(200)).text).to.contain('Vous êtes déconnecté·e de Maillon.');
    expect((await client.get('/').expect(200)).text).not.to.contain('Vous êtes déconnecté·e');
    const after = await client.get('/profile').expect(303);
    expect(after.headers.location).to.equal('/login?next=%2Fprofile');
  });
});
