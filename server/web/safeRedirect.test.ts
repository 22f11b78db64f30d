import { expect } from 'chai';
import { safeLocalPath } from './safeRedirect.js';

describe('safeLocalPath', () => {
  it('keeps same-site paths', () => {
    expect(safeLocalPath('/forums/3?page=2#post-4')).to.equal('/forums/3?page=2#post-4');
  });
  for (const target of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '', 'forums', '/a\nb', ['/x'], 42]) {
    it(`refuses ${JSON.stringify(target)}`, () => {
      expect(safeLocalPath(target)).to.equal('/');
    });
  }
});
