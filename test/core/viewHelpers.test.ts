import { expect } from 'chai';
import { academyOf, de, frenchDate, longDate, viewHelpers } from '../../server/web/viewHelpers.js';
import { formatRange } from '../../plugins/events/time.js';

describe('core: French dates', () => {
  it('writes the first of a month as « 1er », in every long date', () => {
    // 1 September 2026, 09:30 in Paris.
    const first = new Date('2026-09-01T07:30:00Z');
    expect(viewHelpers.formatDate(first)).to.equal('1er septembre 2026');
    expect(viewHelpers.formatDateTime(first)).to.equal('1er septembre 2026 à 09:30');
    expect(longDate(new Date('2026-09-01T00:00:00Z'), 'UTC')).to.equal('1er septembre 2026');
    // Midnight UTC on 31 August is already 1 September in Paris.
    expect(longDate(new Date('2026-08-31T23:00:00Z'))).to.equal('1er septembre 2026');
    const withWeekday = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });
    expect(frenchDate(withWeekday, new Date('2026-09-01T12:00:00Z'))).to.equal('mardi 1er septembre');
    // The events' dates too: 1 October 2026, 14:00 – 15:30 in Paris.
    expect(formatRange(new Date('2026-10-01T12:00:00Z'), new Date('2026-10-01T13:30:00Z'))).to.equal('jeudi 1er octobre 2026, 14:00 – 15:30');
  });

  it('leaves the other days, and the days of month 10 to 31 ending in 1, as they are', () => {
    expect(viewHelpers.formatDate(new Date('2026-09-02T10:00:00Z'))).to.equal('2 septembre 2026');
    expect(viewHelpers.formatDate(new Date('2026-09-11T10:00:00Z'))).to.equal('11 septembre 2026');
    expect(viewHelpers.formatDate(new Date('2026-10-21T10:00:00Z'))).to.equal('21 octobre 2026');
    expect(viewHelpers.formatDate(new Date('2026-12-31T10:00:00Z'))).to.equal('31 décembre 2026');
    expect(viewHelpers.formatDate(null)).to.equal('—');
  });
});

describe('core: « de » before a name', () => {
  it("elides before a vowel, a mute h and a y sounded as a vowel", () => {
    expect(['Élodie Moreau', 'Inès Aubert', 'Hélène Petit', 'Yves Roux', 'Océane Lambert', 'ENT du Poitou'].map(de)).to.deep.equal([
      "d'Élodie Moreau", "d'Inès Aubert", "d'Hélène Petit", "d'Yves Roux", "d'Océane Lambert", "d'ENT du Poitou",
    ]);
    expect(['Lucas Bernard', 'Yann Le Gall', 'Pauline Girard'].map(de)).to.deep.equal(['de Lucas Bernard', 'de Yann Le Gall', 'de Pauline Girard']);
  });
});

describe('core: académies by name', () => {
  it("says « l'académie de Poitiers », « d'Amiens », « de la Martinique »", () => {
    expect(['Poitiers', 'Paris', 'Aix-Marseille', 'Amiens', 'Orléans-Tours', 'Martinique', 'La Réunion', 'Corse'].map((n) => academyOf(n))).to.deep.equal([
      'académie de Poitiers', 'académie de Paris', "académie d'Aix-Marseille", "académie d'Amiens", "académie d'Orléans-Tours",
      'académie de la Martinique', 'académie de La Réunion', 'académie de Corse',
    ]);
    expect(academyOf('Poitiers', { capitalized: true })).to.equal('Académie de Poitiers');
  });
});
