import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { encodeWords, parseSender, rawMime } from './rawMime.js';

describe('rawMime: one prebuilt message for bulk sending', () => {
  it('reads back the same subject, sender, headers, text and HTML through an independent parser', async () => {
    const subject = 'La LINE de décembre : « cafés numériques », webinaires et ressources pour les référents — numéro spécial fêtes';
    const html = `<h1>Été</h1><p>${'Référents, voici la lettre. '.repeat(40)}</p>`;
    const raw = rawMime({
      from: 'Maillon, réseau <ne-pas-repondre@maillon.example>',
      to: 'karim.benali@ac-poitiers.example',
      subject,
      messageId: '<line-1-2@maillon.example>',
      html,
      text: 'Bonjour à tous',
      headers: { 'List-Unsubscribe': '<https://maillon.example/unsubscribe/abc.def>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    expect(raw.split('\r\n').every((line) => line.length <= 998)).to.equal(true);
    const mail = await simpleParser(raw);
    expect(mail.subject).to.equal(subject);
    expect(mail.from?.value[0]).to.deep.include({ name: 'Maillon, réseau', address: 'ne-pas-repondre@maillon.example' });
    expect(mail.messageId).to.equal('<line-1-2@maillon.example>');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).to.equal('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mail.html).to.equal(html);
    expect(mail.text?.trim()).to.equal('Bonjour à tous');
  });

  it('carries text attachments beside the text and HTML versions', async () => {
    const ics = 'BEGIN:VCALENDAR\r\nSUMMARY:Café numérique\r\nEND:VCALENDAR\r\n';
    const raw = rawMime({
      from: 'ne-pas-repondre@maillon.example',
      to: 'karim.benali@ac-poitiers.example',
      subject: 'Inscription confirmée',
      messageId: '<ev-1@maillon.example>',
      html: '<p>Confirmée</p>',
      text: 'Confirmée',
      headers: {},
      attachments: [{ filename: 'evenement-1.ics', contentType: 'text/calendar; method=PUBLISH', content: ics }],
    });
    const mail = await simpleParser(raw);
    expect(mail.html).to.equal('<p>Confirmée</p>');
    expect(mail.text?.trim()).to.equal('Confirmée');
    expect(mail.attachments).to.have.length(1);
    expect(mail.attachments[0]).to.deep.include({ filename: 'evenement-1.ics', contentType: 'text/calendar' });
    expect(mail.attachments[0]!.content.toString('utf8')).to.equal(ics);
  });

  it('keeps plain ASCII as is, never splits a character, and refuses to carry a header injection', () => {
    expect(encodeWords('La LINE')).to.equal('La LINE');
    for (const word of encodeWords('é'.repeat(100)).split('\r\n ')) {
      expect(Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(word)![1]!, 'base64').toString('utf8')).to.match(/^é+$/);
    }
    expect(encodeWords('Objet\r\nBcc: x@y.z')).not.to.contain('\r\nBcc');
    expect(parseSender('ne-pas-repondre@maillon.example')).to.deep.equal({ header: 'ne-pas-repondre@maillon.example', address: 'ne-pas-repondre@maillon.example' });
  });
});
