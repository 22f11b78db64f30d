import { expect } from 'chai';
import { CSV_BOM, csvCell, csvLine } from './csv.js';

describe('CSV for French spreadsheets', () => {
  it('quotes what would split a cell and keeps the rest as it is', () => {
    expect(csvCell('simple')).to.equal('simple');
    expect(csvCell('a;b')).to.equal('"a;b"');
    expect(csvCell('dit "oui"')).to.equal('"dit ""oui"""');
    expect(csvCell('deux\nlignes')).to.equal('"deux\nlignes"');
    expect(csvCell(null)).to.equal('');
    expect(csvCell(42)).to.equal('42');
  });

  it('makes a cell that a spreadsheet would run as a formula read as text', () => {
    for (const formula of ['=1+1', '+33 1', '-2', '@SUM(A1)', '\tx']) expect(csvCell(formula).startsWith("'") || csvCell(formula).startsWith(`"'`)).to.equal(true, formula);
    expect(csvCell('=HYPERLINK("x";"y")')).to.equal(`"'=HYPERLINK(""x"";""y"")"`);
  });

  it('ends lines with CRLF and starts files with a BOM', () => {
    expect(csvLine(['Nom', 'Prénom', null])).to.equal('Nom;Prénom;\r\n');
    expect(CSV_BOM.charCodeAt(0)).to.equal(0xfeff);
  });
});
