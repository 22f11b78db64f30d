import http from 'node:http';
import { expect } from 'chai';
import { csrfFrom, startTestApp, type TestApp } from '../../test/support/testApp.js';

describe('saveBeforeRedirect: flash messages across a redirect', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [], env: { JOBS_RUNNER: 'false' } });
  });
  after(() => t?.close());

  it('are stored before the redirect leaves, so a browser that follows it at once sees the message', async () => {
    const client = await t.loginAs('rupn');
    const page = await client.get('/notifications').expect(200);
    const cookie = (await client.get('/notifications')).request.cookies;
    const token = csrfFrom(page.text);
    for (let i = 0; i < 10; i++) {
      // Like a browser: the redirect is followed as soon as its headers arrive, not when the response ends.
      const location = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${t.url}/notifications/read-all`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          resolve(res.headers.location ?? '');
          res.resume();
        });
        req.on('error', reject);
        req.end(`_csrf=${token}`);
      });
      expect(location).to.equal('/notifications');
      const next = await fetch(`${t.url}${location}`, { headers: { cookie } });
      expect(await next.text()).to.contain('Aucune notification non lue.');
    }
  });
});
