import { expect } from 'chai';
import { csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { buildUser } from '../support/factories.js';

describe('admin area', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('is refused to people without the capability, with a French 403 page', async () => {
    const rupn = await t.loginAs('rupn');
    const res = await rupn.get('/admin').expect(403);
    expect(res.text).to.contain('Accès refusé');
    expect(res.text).to.contain("Vous n&#39;avez pas l&#39;autorisation");
    await rupn.get('/admin/users').expect(403);
    await rupn.get('/admin/plugins').expect(403);
  });

  it('shows the overview, the plugins with versions and the users to an admin', async () => {
    const admin = await t.loginAs('admin');
    const overview = await admin.get('/admin').expect(200);
    expect(overview.text).to.contain('comptes actifs');
    const plugins = await admin.get('/admin/plugins').expect(200);
    expect(plugins.text).to.match(/Accueil<br><code>home<\/code>[\s\S]*1\.0\.0[\s\S]*Activée/);
    const users = await admin.get('/admin/users').expect(200);
    expect(users.text).to.contain('13 comptes trouvés');
    // Académies are named as French names them.
    expect(users.text).to.contain('<optgroup label="Académie de Poitiers">').and.contain('<optgroup label="Académie d&#39;Aix-Marseille">').and.contain('<optgroup label="Académie de la Martinique">');
  });

  it('searches users by name without caring for accents or case, and by role and département', async () => {
    const admin = await t.loginAs('admin');
    const byName = await admin.get('/admin/users').query({ q: 'elodie' }).expect(200);
    expect(byName.text).to.contain('Élodie Moreau');
    expect(byName.text).to.contain('1 compte trouvé');
    const byRole = await admin.get('/admin/users').query({ role: 'chef' }).expect(200);
    expect(byRole.text).to.contain('Jean-Marc Roux');
    expect(byRole.text).to.contain('1 compte trouvé');
    const byDept = await admin.get('/admin/users').query({ departement: '17' }).expect(200);
    expect(byDept.text).to.contain('3 comptes trouvés');
    const junk = await admin.get('/admin/users').query({ q: '%_\\', page: 'abc', role: 'pirate' }).expect(200);
    expect(junk.text).to.contain('0 compte trouvé');
  });

  it("elides « de » before a vowel: « Rôles d'Élodie Moreau », but « Rôles de Lucas Bernard »", async () => {
    const elodie = await buildUser(t.maillon.core, { givenName: 'Élodie', familyName: 'Moreau', roles: ['enseignant'] });
    const lucas = await buildUser(t.maillon.core, { givenName: 'Lucas', familyName: 'Bernard', roles: ['enseignant'] });
    const admin = await t.loginAs('admin');
    const page = await admin.get(`/admin/users/${elodie.id}`).expect(200);
    expect(page.text).to.contain('<legend>Rôles d&#39;Élodie Moreau</legend>');
    await admin.post(`/admin/users/${elodie.id}/roles`).type('form').send(`_csrf=${csrfFrom(page.text)}&roles=enseignant`).expect(303);
    expect((await admin.get(`/admin/users/${elodie.id}`).expect(200)).text).to.contain('Rôles d&#39;Élodie Moreau enregistrés.');
    expect((await admin.get(`/admin/users/${lucas.id}`).expect(200)).text).to.contain('<legend>Rôles de Lucas Bernard</legend>');
  });

  it('changes roles, which take effect at once and are written to the audit log', async () => {
    const person = await buildUser(t.maillon.core, { key: 'futur-rupn', roles: ['enseignant'] });
    const client = await t.loginAs('futur-rupn');
    await client.get('/admin').expect(403);

    const admin = await t.loginAs('admin');
    const form = await admin.get(`/admin/users/${person.id}`).expect(200);
    const res = await admin
      .post(`/admin/users/${person.id}/roles`)
      .type('form')
      .send(`_csrf=${csrfFrom(form.text)}&roles=enseignant&roles=dane`)
      .expect(303);
    expect(res.headers.location).to.equal(`/admin/users/${person.id}`);
    const after = await admin.get(`/admin/users/${person.id}`).expect(200);
    expect(after.text).to.contain('Rôles de Camille futur-rupn enregistrés.');

    await client.get('/admin').expect(200);
    const audit = await admin.get('/admin/audit').query({ action: 'user.roles' }).expect(200);
    expect(audit.text).to.contain('user.roles.update');
    expect(audit.text).to.contain('Thomas Leroy');
    expect(audit.text).to.contain('&#34;added&#34;:[&#34;dane&#34;]');
  });

  it('refuses unknown roles with a 400 naming the field, and changes nothing', async () => {
    const person = await buildUser(t.maillon.core, { roles: ['enseignant'] });
    const admin = await t.loginAs('admin');
    const form = await admin.get(`/admin/users/${person.id}`).expect(200);
    const res = await admin.post(`/admin/users/${person.id}/roles`).type('form').send(`_csrf=${csrfFrom(form.text)}&roles=roi`).expect(400);
    expect(res.text).to.contain('« Rôles »');
    expect((await t.maillon.core.users.byId(person.id))!.roles).to.deep.equal(['enseignant']);
  });

  it('refuses to remove your own admin role', async () => {
    const admin = await t.loginAs('admin');
    const me = (await t.maillon.core.users.byIdentity('demo', 'admin'))!;
    const form = await admin.get(`/admin/users/${me.id}`).expect(200);
    const res = await admin.post(`/admin/users/${me.id}/roles`).type('form').send(`_csrf=${csrfFrom(form.text)}&roles=dane`).expect(409);
    expect(res.text).to.contain('votre propre rôle');
    expect((await t.maillon.core.users.byId(me.id))!.roles).to.include('admin');
  });

  it('lets the DANE search users but not change roles', async () => {
    const dane = await t.loginAs('dane');
    await dane.get('/admin/users').expect(200);
    const person = await buildUser(t.maillon.core);
    const page = await dane.get(`/admin/users/${person.id}`).expect(200);
    expect(page.text).not.to.contain('Enregistrer les rôles');
    await dane.post(`/admin/users/${person.id}/roles`).type('form').send(`_csrf=${csrfFrom(page.text)}&roles=admin`).expect(403);
    await dane.get('/admin/audit').expect(403);
  });

  it('answers 404 for a user that does not exist or an id that is not one', async () => {
    const admin = await t.loginAs('admin');
    await admin.get('/admin/users/999999').expect(404);
    await admin.get('/admin/users/abc').expect(404);
    await admin.get('/admin/users/99999999999999999999').expect(404);
  });
});
