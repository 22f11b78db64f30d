import { expect } from 'chai';
import { markdownToText, renderMarkdown } from './markdown.js';

describe('renderMarkdown, the one sanitising renderer', () => {
  it('renders headings, lists, tables and links', () => {
    const html = renderMarkdown('# Titre\n\n- un\n- deux\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[Pix](https://pix.fr)');
    expect(html).to.contain('<h2>Titre</h2>');
    expect(html).to.contain('<li>un</li>');
    expect(html).to.contain('<table>');
    expect(html).to.contain('<a href="https://pix.fr" rel="nofollow noopener noreferrer">Pix</a>');
  });

  it('sets @mentions apart when asked, outside code, links and e-mail addresses', () => {
    const html = renderMarkdown('Merci @pauline.girard et (@karim.benali). Écrire à jean@ac-poitiers.fr, pas `@code`.', { mentions: true });
    expect(html).to.contain('Merci <span class="mention">@pauline.girard</span> et (<span class="mention">@karim.benali</span>).');
    expect(html).to.contain('<a href="mailto:jean@ac-poitiers.fr">jean@ac-poitiers.fr</a>');
    expect(html).to.contain('<code>@code</code>');
    expect(renderMarkdown('Merci @pauline.girard')).to.equal('<p>Merci @pauline.girard</p>\n');
    // Nobody else gets a class through: only « mention » on a span.
    expect(renderMarkdown('<span class="mention evil" onclick="x()">a</span><p class="mention">b</p>', { mentions: true }).trim()).to.equal('<p><span class="mention">a</span></p><p>b</p><p></p>');
  });

  const payloads = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[clic](javascript:alert(1))',
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload=alert(1)>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name=x></form>',
    '<style>body{display:none}</style>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '![x](javascript:alert(1))',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="x.swf"></object>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  ];
  for (const payload of payloads) {
    it(`neutralises ${payload}`, () => {
      const html = renderMarkdown(payload);
      expect(html).not.to.match(/<script|onerror|onload|javascript:|<iframe|<form|<style|style=|<object|<meta|<svg/i);
    });
  }

  it('drops images when asked (short messages)', () => {
    expect(renderMarkdown('![carte](https://ex.example/a.png)', { images: false })).not.to.contain('<img');
    expect(renderMarkdown('![carte](https://ex.example/a.png)')).to.contain('alt="carte"');
  });

  it('resolves relative targets with the given resolver', () => {
    const html = renderMarkdown('![plan](assets/plan.png) [doc](assets/doc.pdf)', { resolveUrl: (u) => `/packs/p/${u}` });
    expect(html).to.contain('src="/packs/p/assets/plan.png"');
    expect(html).to.contain('href="/packs/p/assets/doc.pdf"');
  });

  it('gives plain text for excerpts', () => {
    expect(markdownToText('**Gras** & <b>HTML</b>\n\n- liste')).to.equal('Gras & HTML liste');
  });
});
