import path from 'node:path';
import { expect } from 'chai';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { createEvent, postFrom } from '../events/helpers.js';

// Running text names people given name first (« Pauline Girard »); lists may sort by family name.
describe('core: names read given name first', function () {
  this.timeout(120_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: ['home', 'events'].map((p) => path.join(ROOT, 'plugins', p)), env: { JOBS_RUNNER: 'false' } });
  });
  after(() => t?.close());

  it('in the attendance list of an event', async () => {
    const claire = await t.loginAs('dane');
    const id = await createEvent(claire, { capacity: '1' });
    const pauline = await t.loginAs('nouvelle-rupn');
    const elodie = await t.loginAs('rupn-poitiers');
    expect((await postFrom(pauline, `/events/${id}`, `/events/${id}/inscription`)).status).to.equal(303);
    expect((await postFrom(elodie, `/events/${id}`, `/events/${id}/inscription`)).status).to.equal(303);
    const page = await claire.get(`/events/${id}/presences`).expect(200);
    expect(page.text).to.contain('<th scope="row">Pauline Girard</th>');
    expect(page.text).to.match(/<li>Élodie Moreau — /);
    expect(page.text).not.to.contain('Girard Pauline').and.not.to.contain('Moreau Élodie');
  });
});
