import { expect } from 'chai';
import { revisionDiffHtml } from './revisionDiff.js';

describe('revisionDiffHtml, what an edit changed', () => {
  it('marks removed and added words, escaping the source', () => {
    const html = revisionDiffHtml('Un <b>texte</b> court.', 'Un <b>texte</b> plus long.')!;
    expect(html).to.equal('Un &#60;b&#62;texte&#60;/b&#62; <del><span class="visually-hidden">[supprimé : </span>court<span class="visually-hidden">]</span></del><ins><span class="visually-hidden">[ajouté : </span>plus long<span class="visually-hidden">]</span></ins>.');
  });

  it('gives up on a text rewritten from end to end rather than diffing it at length', () => {
    const words = (prefix: string) => Array.from({ length: 3000 }, (_, i) => `${prefix}${i}`).join(' ');
    expect(revisionDiffHtml(words('a'), words('b'))).to.equal(null);
  });
});
