import { expect } from 'chai';
import type supertest from 'supertest';
import { csrfFrom, type TestApp } from '../support/testApp.js';
import { TINY_PNG } from '../support/factories.js';
import { forumsWithPeople, newTopic } from './helpers.js';

describe('forums: images in posts', () => {
  let t: TestApp;
  let karim: supertest.Agent;
  let pauline: supertest.Agent;
  before(async () => {
    ({ t, karim, pauline } = await forumsWithPeople());
  });
  after(() => t.close());

  const token = async (client: supertest.Agent) => csrfFrom((await client.get('/forums/images/nouvelle').expect(200)).text);

  it('stores an uploaded image and gives its Markdown, to the editor as JSON and without JavaScript as a page', async () => {
    const json = await karim.post('/forums/images').set('Accept', 'application/json').set('X-CSRF-Token', await token(karim))
      .field('alt', 'Le chariot de tablettes').attach('image', TINY_PNG, 'chariot.png').expect(201);
    expect(json.body.markdown).to.match(/^!\[Le chariot de tablettes\]\(\/files\/[\w-]+\/chariot\.png\)$/);
    const src = /\((.+)\)/.exec(json.body.markdown)![1]!;
    // Posted in a topic, it shows to another reader; nobody signed out can fetch it.
    const topicId = await newTopic(karim, 'tablettes', { title: 'Notre chariot', body: `Voici le chariot :\n\n${json.body.markdown}` });
    const page = await pauline.get(`/forums/t/${topicId}`).expect(200);
    expect(page.text).to.contain(`<img src="${src}" alt="Le chariot de tablettes"`);
    await pauline.get(src).expect(200).expect('Content-Type', 'image/png');
    await t.agent().get(src).expect((res) => expect(res.status).to.be.oneOf([401, 403, 404]));

    const html = await karim.post('/forums/images').field('_csrf', await token(karim)).field('alt', 'Une salle').attach('image', TINY_PNG, 'salle.png').expect(201);
    expect(html.text).to.contain('Image enregistrée.');
    expect(html.text).to.match(/<textarea id="code-image"[^>]*>!\[Une salle\]\(\/files\/[\w-]+\/salle\.png\)<\/textarea>/);
  });

  it('refuses a missing image, a missing description, a file that is not an image, and a visitor', async () => {
    const noFile = await karim.post('/forums/images').set('Accept', 'application/json').set('X-CSRF-Token', await token(karim)).field('alt', 'Rien').expect(422);
    expect(noFile.body.error.message).to.contain('choisissez un fichier image');
    const noAlt = await karim.post('/forums/images').set('Accept', 'application/json').set('X-CSRF-Token', await token(karim)).field('alt', ' ').attach('image', TINY_PNG, 'a.png').expect(422);
    expect(noAlt.body.error.message).to.contain('Texte de remplacement');
    const notImage = await karim.post('/forums/images').set('Accept', 'application/json').set('X-CSRF-Token', await token(karim))
      .field('alt', 'Un script').attach('image', Buffer.from('<script>alert(1)</script>'), 'image.png');
    expect(notImage.status).to.equal(415);
    await t.agent().post('/forums/images').field('alt', 'x').attach('image', TINY_PNG, 'a.png').expect((res) => expect(res.status).to.be.oneOf([401, 403]));
    // A form posted from elsewhere, without the CSRF token, stores nothing.
    await karim.post('/forums/images').field('alt', 'Forgé').attach('image', TINY_PNG, 'a.png').expect(403);
    expect(await t.maillon.core.db.selectFrom('files').select('id').where('name', 'in', ['a.png', 'image.png']).execute()).to.have.length(0);
  });
});
