import { expect } from 'chai';
import type { StoredQuiz } from '../../server/db/schema.js';
import { normaliseShortAnswer, presentQuiz, readAnswers, reviewAttempt, scoreQuiz } from './quiz.js';

const quiz: StoredQuiz = {
  title: 'Quiz',
  passMark: 80,
  maxAttempts: null,
  shuffle: false,
  questions: [
    { id: 'un', type: 'single', prompt: 'Un ?', choices: [{ text: 'A', correct: false, feedback: 'Non, pas A.' }, { text: 'B', correct: true, feedback: 'Oui, B.' }] },
    { id: 'plusieurs', type: 'multiple', prompt: 'Plusieurs ?', choices: [{ text: 'X', correct: true }, { text: 'Y', correct: true }, { text: 'Z', correct: false, feedback: 'Z est un piège.' }] },
    { id: 'vrai', type: 'truefalse', prompt: 'Vrai ?', answer: false, explanation: 'Parce que.' },
    { id: 'paires', type: 'matching', prompt: 'Associez.', pairs: [{ left: 'DPD', right: 'Délégué' }, { left: 'GAR', right: 'Gestionnaire' }, { left: 'ENT', right: 'Espace' }, { left: 'CNIL', right: 'Commission' }] },
    { id: 'court', type: 'short', prompt: 'Sigle ?', accept: ['CNIL', "Commission nationale de l'informatique et des libertés"] },
  ],
};

const form = (values: Record<string, string | string[]>) => readAnswers(quiz, values);
const perfect = { 'q-un': '1', 'q-plusieurs': ['0', '1'], 'q-vrai': 'false', 'q-paires-0': '0', 'q-paires-1': '1', 'q-paires-2': '2', 'q-paires-3': '3', 'q-court': 'cnil' };

describe('training: quiz scoring', () => {
  it('gives full marks for right answers of every type', () => {
    const result = scoreQuiz(quiz, form(perfect));
    expect(result.score).to.equal(100);
    expect(result.passed).to.equal(true);
    expect(result.results.map((r) => r.verdict)).to.deep.equal(['right', 'right', 'right', 'right', 'right']);
  });

  it('scores single choice and true/false all or nothing, with the feedback of the answer given', () => {
    const result = scoreQuiz(quiz, form({ ...perfect, 'q-un': '0', 'q-vrai': 'true' }));
    const [un, , vrai] = result.results;
    expect(un!.credit).to.equal(0);
    expect(un!.feedback).to.deep.equal(['Non, pas A.']);
    expect(un!.givenText).to.deep.equal(['A']);
    expect(un!.expectedText).to.deep.equal(['B']);
    expect(vrai!.credit).to.equal(0);
    expect(vrai!.explanation).to.equal('Parce que.');
    expect(result.score).to.equal(60);
    expect(result.passed).to.equal(false);
  });

  it('gives partial credit to multiple choice: right picks minus wrong picks, never below zero', () => {
    const credit = (picks: string[]) => scoreQuiz(quiz, form({ ...perfect, 'q-plusieurs': picks })).results[1]!;
    expect(credit(['0']).credit).to.equal(0.5);
    expect(credit(['0']).verdict).to.equal('partial');
    expect(credit(['0', '1', '2']).credit).to.equal(0.5);
    expect(credit(['0', '1', '2']).feedback).to.deep.equal(['Z est un piège.']);
    expect(credit(['2']).credit).to.equal(0);
    expect(credit([]).credit).to.equal(0);
  });

  it('gives matching a share per right pair', () => {
    const result = scoreQuiz(quiz, form({ ...perfect, 'q-paires-0': '1', 'q-paires-1': '0' }));
    expect(result.results[3]!.credit).to.equal(0.5);
    expect(result.results[3]!.givenText[0]).to.equal('DPD → Gestionnaire');
    // 4.5 of 5 questions.
    expect(result.score).to.equal(90);
  });

  it('forgives case, accents, apostrophes and spaces in short answers, nothing else', () => {
    expect(normaliseShortAnswer('  Commission   nationale de l’INFORMATIQUE et des libertes. ')).to.equal(
      normaliseShortAnswer("Commission nationale de l'informatique et des libertés"),
    );
    const credit = (text: string) => scoreQuiz(quiz, form({ ...perfect, 'q-court': text })).results[4]!.credit;
    expect(credit(' Cnil ')).to.equal(1);
    expect(credit('commission nationale de l’informatique et des LIBERTÉS')).to.equal(1);
    expect(credit('CNI')).to.equal(0);
    expect(credit('')).to.equal(0);
  });

  it('treats junk and missing fields as no answer, without throwing', () => {
    const result = scoreQuiz(quiz, form({ 'q-un': '7', 'q-plusieurs': ['abc', '-1', '99'], 'q-vrai': 'peut-être', 'q-paires-0': '1.5' }));
    expect(result.score).to.equal(0);
    expect(result.answers.map((a) => a.given)).to.deep.equal([[], [], null, [null, null, null, null], '']);
  });

  it('reads the empty « Choisir… » of a matching question as no answer, not as the first item', () => {
    const empty = { 'q-paires-0': '', 'q-paires-1': '', 'q-paires-2': '', 'q-paires-3': '' };
    const result = scoreQuiz(quiz, form(empty));
    expect(result.answers[3]!.given).to.deep.equal([null, null, null, null]);
    expect(result.results[3]!.credit).to.equal(0);
    expect(result.results[3]!.givenText).to.deep.equal([]);
    expect(result.score).to.equal(0);
    // One pair answered: the others say so.
    const one = scoreQuiz(quiz, form({ ...empty, 'q-paires-0': '0', 'q-un': ' ' }));
    expect(one.results[3]!.credit).to.equal(0.25);
    expect(one.results[3]!.givenText).to.deep.equal(['DPD → Délégué', 'GAR → (sans réponse)', 'ENT → (sans réponse)', 'CNIL → (sans réponse)']);
    expect(one.answers[0]!.given).to.deep.equal([]);
  });

  it('floors the score so that a pass mark is never reached by rounding', () => {
    const three: StoredQuiz = { ...quiz, passMark: 67, questions: quiz.questions.slice(0, 3) };
    const result = scoreQuiz(three, readAnswers(three, { 'q-un': '1', 'q-plusieurs': ['0', '1'], 'q-vrai': 'true' }));
    expect(result.score).to.equal(66);
    expect(result.passed).to.equal(false);
  });

  it('never sends answers to the browser, and shuffles questions and choices only when asked', () => {
    const plain = presentQuiz(quiz);
    expect(plain.map((q) => q.id)).to.deep.equal(['un', 'plusieurs', 'vrai', 'paires', 'court']);
    expect(JSON.stringify(plain)).not.to.match(/correct|feedback|accept|answer|Non, pas A/);
    expect(plain[3]!.rights.map((r) => r.text)).to.deep.equal(['Commission', 'Délégué', 'Espace', 'Gestionnaire']);
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const shuffled = presentQuiz({ ...quiz, shuffle: true }, random);
    expect(shuffled.map((q) => q.id)).to.have.members(plain.map((q) => q.id));
    expect(shuffled.map((q) => q.id)).not.to.deep.equal(plain.map((q) => q.id));
  });

  it('reviews a stored attempt against the current quiz', () => {
    const { answers } = scoreQuiz(quiz, form({ ...perfect, 'q-un': '0' }));
    const reviewed = reviewAttempt({ ...quiz, questions: quiz.questions.filter((q) => q.id !== 'court') }, answers);
    expect(reviewed.map((r) => [r.id, r.verdict])).to.deep.equal([['un', 'wrong'], ['plusieurs', 'right'], ['vrai', 'right'], ['paires', 'right']]);
  });
});
