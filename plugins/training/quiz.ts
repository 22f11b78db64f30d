import type { StoredQuestion, StoredQuiz } from '../../server/db/schema.js';
import type { AnswerRecord } from './schema.js';

/**
 * Quizzes: what a learner sees of a question (never the answers), how a submitted form is
 * read, and how each question is scored. Pure functions: the routes store and show.
 */

export type Given = AnswerRecord['given'];

export interface QuestionView {
  id: string;
  type: StoredQuestion['type'];
  prompt: string;
  /** single, multiple: the choices, each with its index in the pack. */
  choices: { index: number; text: string }[];
  /** matching: the left items, and the right items offered to each of them. */
  lefts: { index: number; text: string }[];
  rights: { index: number; text: string }[];
}

/** The quiz as sent to the learner's browser: prompts and choices only; shuffled when the pack asks. */
export function presentQuiz(quiz: StoredQuiz, random: () => number = Math.random): QuestionView[] {
  const questions = quiz.shuffle ? shuffle(quiz.questions, random) : quiz.questions;
  return questions.map((q) => {
    const view: QuestionView = { id: q.id, type: q.type, prompt: q.prompt, choices: [], lefts: [], rights: [] };
    if (q.type === 'single' || q.type === 'multiple') {
      const choices = q.choices.map((c, index) => ({ index, text: c.text }));
      view.choices = quiz.shuffle ? shuffle(choices, random) : choices;
    } else if (q.type === 'matching') {
      view.lefts = q.pairs.map((p, index) => ({ index, text: p.left }));
      // Right items in alphabetical order: the pack's order would give the pairs away.
      view.rights = q.pairs.map((p, index) => ({ index, text: p.right })).sort((a, b) => a.text.localeCompare(b.text, 'fr'));
    }
    return view;
  });
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Form field of a question (and of each left item of a matching question). */
export const fieldName = (questionId: string, left?: number) => (left === undefined ? `q-${questionId}` : `q-${questionId}-${left}`);

/** Reads a submitted form; anything unexpected counts as no answer rather than an error. */
export function readAnswers(quiz: StoredQuiz, form: Record<string, unknown>): Map<string, Given> {
  const answers = new Map<string, Given>();
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  // Digits only: Number('') is 0, and the empty « Choisir… » of a matching question would pick the first item.
  const index = (v: unknown, size: number) => {
    const text = one(v);
    if (typeof text !== 'string' || !/^\d+$/.test(text)) return null;
    const n = Number(text);
    return n < size ? n : null;
  };
  for (const q of quiz.questions) {
    const raw = form[fieldName(q.id)];
    switch (q.type) {
      case 'single': {
        const i = index(raw, q.choices.length);
        answers.set(q.id, i === null ? [] : [i]);
        break;
      }
      case 'multiple': {
        const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).slice(0, q.choices.length);
        const picked = new Set(values.map((v) => index(v, q.choices.length)).filter((i): i is number => i !== null));
        answers.set(q.id, [...picked].sort((a, b) => a - b));
        break;
      }
      case 'truefalse': {
        const v = one(raw);
        answers.set(q.id, v === 'true' ? true : v === 'false' ? false : null);
        break;
      }
      case 'matching':
        answers.set(q.id, q.pairs.map((_, left) => index(form[fieldName(q.id, left)], q.pairs.length)));
        break;
      case 'short': {
        const v = one(raw);
        answers.set(q.id, typeof v === 'string' ? v.slice(0, 500) : '');
        break;
      }
    }
  }
  return answers;
}

/** Short answers forgive case, accents, curly apostrophes, extra spaces and end punctuation. */
export function normaliseShortAnswer(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[’‘`´]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\s.,;:!?«»"]+|[\s.,;:!?«»"]+$/g, '')
    .trim();
}

export interface QuestionResult {
  id: string;
  type: StoredQuestion['type'];
  prompt: string;
  credit: number;
  verdict: 'right' | 'partial' | 'wrong';
  /** The learner's answer, in words. */
  givenText: string[];
  /** The pack's feedback on each answer the learner gave. */
  feedback: string[];
  explanation: string | null;
  /** The right answer, in words (shown once the learner passed or has no attempt left). */
  expectedText: string[];
}

export interface QuizResult {
  score: number;
  passed: boolean;
  results: QuestionResult[];
  answers: AnswerRecord[];
}

/** Scores answers question by question; multiple choice and matching earn partial credit. */
export function scoreQuiz(quiz: StoredQuiz, answers: Map<string, Given>): QuizResult {
  const results = quiz.questions.map((q) => scoreQuestion(q, answers.get(q.id) ?? null));
  const total = results.reduce((sum, r) => sum + r.credit, 0);
  // Floored, so a score shown as 79 % never passes a pass mark of 80 %.
  const score = Math.min(100, Math.floor((total / Math.max(1, results.length)) * 100 + 1e-9));
  return {
    score,
    passed: score >= quiz.passMark,
    results,
    answers: quiz.questions.map((q, i) => ({ questionId: q.id, given: answers.get(q.id) ?? null, credit: results[i]!.credit })),
  };
}

function scoreQuestion(q: StoredQuestion, given: Given | null): QuestionResult {
  const base = { id: q.id, type: q.type, prompt: q.prompt, explanation: q.explanation ?? null };
  let credit = 0;
  let givenText: string[] = [];
  let feedback: string[] = [];
  let expectedText: string[] = [];
  switch (q.type) {
    case 'single':
    case 'multiple': {
      const picked = Array.isArray(given) ? (given.filter((i) => typeof i === 'number' && q.choices[i]) as number[]) : [];
      const correct = q.choices.map((c, i) => (c.correct ? i : -1)).filter((i) => i >= 0);
      const right = picked.filter((i) => q.choices[i]!.correct).length;
      const wrong = picked.length - right;
      credit = q.type === 'single' ? (picked.length === 1 && right === 1 ? 1 : 0) : Math.max(0, (right - wrong) / correct.length);
      givenText = picked.map((i) => q.choices[i]!.text);
      feedback = picked.map((i) => q.choices[i]!.feedback).filter((f): f is string => Boolean(f));
      expectedText = correct.map((i) => q.choices[i]!.text);
      break;
    }
    case 'truefalse':
      credit = given === q.answer ? 1 : 0;
      givenText = typeof given === 'boolean' ? [given ? 'Vrai' : 'Faux'] : [];
      expectedText = [q.answer ? 'Vrai' : 'Faux'];
      break;
    case 'matching': {
      const rights = Array.isArray(given) ? given : [];
      credit = q.pairs.filter((_, left) => rights[left] === left).length / q.pairs.length;
      // A matching left wholly unanswered is « aucune » answer, not a list of blanks.
      const answered = q.pairs.some((_, left) => typeof rights[left] === 'number');
      givenText = !answered ? [] : q.pairs.map((p, left) => {
        const r = rights[left];
        return `${p.left} → ${typeof r === 'number' && q.pairs[r] ? q.pairs[r]!.right : '(sans réponse)'}`;
      });
      expectedText = q.pairs.map((p) => `${p.left} → ${p.right}`);
      break;
    }
    case 'short': {
      const text = typeof given === 'string' ? given : '';
      const wanted = normaliseShortAnswer(text);
      credit = wanted !== '' && q.accept.some((a) => normaliseShortAnswer(a) === wanted) ? 1 : 0;
      givenText = text.trim() ? [text.trim()] : [];
      expectedText = q.accept.slice(0, 1);
      break;
    }
  }
  credit = Math.round(credit * 1000) / 1000;
  return { ...base, credit, verdict: credit >= 1 ? 'right' : credit > 0 ? 'partial' : 'wrong', givenText, feedback, expectedText };
}

/** Rebuilds a stored attempt's results against the quiz as it is now (questions removed since are left out). */
export function reviewAttempt(quiz: StoredQuiz, stored: AnswerRecord[]): QuestionResult[] {
  const given = new Map(stored.map((a) => [a.questionId, a.given]));
  return quiz.questions.filter((q) => given.has(q.id)).map((q) => scoreQuestion(q, given.get(q.id) ?? null));
}
