import { expect } from 'chai';
import { checkAnswer, type Question } from './questions.js';
import { sentenceOf, type Bar } from './results.js';
import { endOfDay, isDay, lastDayOf, startOfDay } from './dates.js';

const q = (id: number, position: number, kind: Question['kind'], extra: Partial<Question> = {}): Question => ({
  id, position, kind, label: `Q${position}`, help: '', required: false, options: kind === 'single' || kind === 'multiple' ? ['A', 'B', 'C'] : [], scaleMax: kind === 'scale' ? 5 : null, statement: '', showIf: null, ...extra,
});

describe('bilan: rules of an answer, sentences, CSV cells, days', () => {
  const questions = [
    q(1, 1, 'yesno', { required: true }),
    q(2, 2, 'single', { required: true, showIf: { questionId: 1, value: 1 } }),
    // Depends on Q2, which depends on Q1: hidden whenever Q2 is.
    q(3, 3, 'multiple', { required: true, showIf: { questionId: 2, value: 0 } }),
    q(4, 4, 'scale'),
  ];

  it('hides a question whose parent is hidden, even if the browser sent a matching value', () => {
    const r = checkAnswer(questions, { q1: '0', q2: '0', q3: ['1'], q4: '3' });
    expect(r.errors).to.deep.equal({});
    expect(r.values.map((v) => [v.questionId, v.value])).to.deep.equal([[1, 0], [4, 3]]);
  });

  it('requires shown questions only, one message per field', () => {
    const r = checkAnswer(questions, { q1: '1', q2: '0' });
    expect(Object.keys(r.errors)).to.deep.equal(['q3']);
    expect(r.errors.q3).to.equal('Réponse obligatoire : cochez au moins une case.');
  });

  it('refuses two values for a single choice and junk values', () => {
    expect(checkAnswer(questions, { q1: ['1', '0'] }).errors.q1).to.equal('Une seule réponse possible.');
    expect(checkAnswer(questions, { q1: '1', q2: '1e3' }).errors.q2).to.contain('Choix inconnu');
    expect(checkAnswer(questions, { q1: '0', q4: '0' }).errors.q4).to.equal('Choisissez une valeur de 1 à 5.');
  });

  it('phrases the report like the yearly analysis', () => {
    const bars = (counts: number[], from = 0): Bar[] => counts.map((count, i) => ({ value: from + i, label: String(from + i), count, percent: Math.round((100 * count) / counts.reduce((a, b) => a + b, 0)) }));
    expect(sentenceOf(q(1, 1, 'yesno', { statement: 'disent y parvenir' }), [{ value: 1, label: 'Oui', count: 73, percent: 73 }, { value: 0, label: 'Non', count: 27, percent: 27 }], 100, null)).to.equal('73 % disent y parvenir.');
    expect(sentenceOf(q(4, 4, 'scale'), bars([1, 1, 0, 1, 1], 1), 4, 3)).to.equal('50 % choisissent 3 ou plus sur 5 (moyenne 3 sur 5).');
    expect(sentenceOf(q(2, 2, 'single', { options: ['Courriel', 'ENT'] }), [{ value: 0, label: 'Courriel', count: 2, percent: 67 }, { value: 1, label: 'ENT', count: 1, percent: 33 }], 3, null)).to.equal('67 % choisissent « Courriel ».');
    expect(sentenceOf(q(1, 1, 'yesno'), [], 0, null)).to.equal(null);
  });

  it('opens at midnight in Paris and closes at the end of the last day, summer and winter', () => {
    expect(startOfDay('2026-01-15').toISOString()).to.equal('2026-01-14T23:00:00.000Z');
    expect(startOfDay('2026-07-15').toISOString()).to.equal('2026-07-14T22:00:00.000Z');
    expect(endOfDay('2026-03-28').toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    expect(lastDayOf(endOfDay('2026-10-25'))).to.equal('2026-10-25');
    expect(isDay('2026-02-30')).to.equal(false);
    expect(isDay('2026-02-28')).to.equal(true);
  });
});
