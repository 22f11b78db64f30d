import { expect } from 'chai';
import { formatRange, parisMonthBounds, parseParisLocal, toIcalLocal, toParisLocal } from './time.js';
import { foldLine, escapeText } from './ical.js';
import { attendanceCsv } from './attendanceCsv.js';

describe('events: Paris time', () => {
  const parse = (v: string) => {
    const r = parseParisLocal(v);
    return r.ok ? r.date.toISOString() : r.reason;
  };

  it('reads wall-clock times with the offset in force that day', () => {
    expect(parse('2027-01-15T14:00')).to.equal('2027-01-15T13:00:00.000Z');
    expect(parse('2027-07-01T09:30')).to.equal('2027-07-01T07:30:00.000Z');
    // Last Sunday of March: 01:59 is winter, 03:00 is summer, 02:30 does not exist.
    expect(parse('2027-03-28T01:59')).to.equal('2027-03-28T00:59:00.000Z');
    expect(parse('2027-03-28T03:00')).to.equal('2027-03-28T01:00:00.000Z');
    expect(parse('2027-03-28T02:30')).to.equal('gap');
    // Last Sunday of October: 02:30 happens twice; the first (summer) one is taken.
    expect(parse('2027-10-31T02:30')).to.equal('2027-10-31T00:30:00.000Z');
    expect(parse('2027-10-31T03:30')).to.equal('2027-10-31T02:30:00.000Z');
  });

  it('refuses what is not a date', () => {
    for (const bad of ['', 'demain', '2027-02-30T10:00', '2027-13-01T10:00', '2027-01-01T24:00', '2027-01-01 10:00:00Z']) expect(parse(bad)).to.equal('format');
  });

  it('writes instants back as Paris time for forms, iCalendar and people', () => {
    const d = new Date('2027-06-10T07:00:00Z');
    expect(toParisLocal(d)).to.equal('2027-06-10T09:00');
    expect(toIcalLocal(d)).to.equal('20270610T090000');
    expect(formatRange(d, new Date('2027-06-10T08:30:00Z'))).to.equal('jeudi 10 juin 2027, 09:00 – 10:30');
    const { start, end } = parisMonthBounds(2027, 3);
    expect(start.toISOString()).to.equal('2027-02-28T23:00:00.000Z');
    expect(end.toISOString()).to.equal('2027-03-31T22:00:00.000Z');
  });
});

describe('events: iCalendar text and CSV', () => {
  it('escapes text and folds long lines at 75 octets without cutting a character', () => {
    expect(escapeText('a;b,c\\d\ne')).to.equal('a\\;b\\,c\\\\d\\ne');
    const long = `SUMMARY:${'é'.repeat(60)}`;
    const folded = foldLine(long).split('\r\n');
    expect(folded.every((l) => Buffer.byteLength(l) <= 75)).to.equal(true);
    expect(folded.map((l, i) => (i ? l.slice(1) : l)).join('')).to.equal(long);
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    const csv = attendanceCsv([{ family_name: '=HYPERLINK("x")', given_name: 'A;B', email: 'a@b.fr', establishment: null, state: 'registered', registered_at: new Date('2027-01-01T10:00:00Z'), attended: true }]);
    expect(csv.split('\r\n')[1]).to.equal(`"'=HYPERLINK(""x"")";"A;B";a@b.fr;;inscrit;2027-01-01;présent`);
  });
});
