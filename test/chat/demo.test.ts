import path from 'node:path';
import { expect } from 'chai';
import { ROOT, startTestApp, type TestApp } from '../support/testApp.js';
import { ENGINE } from '../support/engine.js';
import { seedDemoConversation } from '../../plugins/chat/demo.js';

describe(`chat demo content (${ENGINE})`, function () {
  this.timeout(180_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ pluginDirs: [path.join(ROOT, 'plugins', 'chat')] });
  });
  after(() => t.close());

  it('seeds a short conversation in the Vienne room once, shown to its members', async () => {
    await seedDemoConversation(t.maillon.core.db);
    await seedDemoConversation(t.maillon.core.db);
    const client = await t.loginAs('rupn-chatellerault');
    const index = await client.get('/chat').expect(200);
    const vienne = /href="\/chat\/rooms\/(\d+)">Vienne</.exec(index.text)![1];
    const room = await client.get(`/chat/rooms/${vienne}`).expect(200);
    expect(room.text).to.contain('campagne <strong>Pix</strong>');
    // Once in the history (an author's own message also carries its source, for editing in place).
    const shown = room.text.split('<li class="chat-message').filter((item) => item.includes('Je partage mon calendrier'));
    expect(shown).to.have.length(1);
  });
});
