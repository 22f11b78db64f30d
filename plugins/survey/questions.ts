/**
 * The questions of a survey and the rules of an answer: which questions are shown (conditions
 * on earlier answers), which are required, what values are acceptable. Pure functions, used by
 * the form (server side, so it works without JavaScript) and by the tests.
 */

export type QuestionKind = 'single' | 'multiple' | 'scale' | 'yesno' | 'text';

export const KIND_LABELS: Record<QuestionKind, string> = {
  single: 'Choix unique',
  multiple: 'Choix multiple',
  scale: 'Échelle',
  yesno: 'Oui / non',
  text: 'Texte libre',
};

export interface Question {
  id: number;
  position: number;
  kind: QuestionKind;
  label: string;
  help: string;
  required: boolean;
  /** Choice labels, or for a scale the labels of its two ends. */
  options: string[];
  scaleMax: number | null;
  statement: string;
  showIf: { questionId: number; value: number } | null;
}

export const TEXT_MAX = 5000;

/** One stored value: a choice index, a scale point, 1/0 for yes/no, or a text. */
export interface AnswerValue {
  questionId: number;
  value: number | null;
  text: string | null;
}

/** The values a question can take, with their labels: for choices, scales and yes/no. */
export function valuesOf(q: Pick<Question, 'kind' | 'options' | 'scaleMax'>): { value: number; label: string }[] {
  switch (q.kind) {
    case 'single':
    case 'multiple':
      return q.options.map((label, value) => ({ value, label }));
    case 'yesno':
      return [
        { value: 1, label: 'Oui' },
        { value: 0, label: 'Non' },
      ];
    case 'scale': {
      const max = q.scaleMax ?? 5;
      return Array.from({ length: max }, (_, i) => ({
        value: i + 1,
        label: i === 0 && q.options[0] ? `1 — ${q.options[0]}` : i === max - 1 && q.options[1] ? `${max} — ${q.options[1]}` : String(i + 1),
      }));
    }
    default:
      return [];
  }
}

export function valueLabel(q: Question, value: number): string {
  if (q.kind === 'scale') return String(value);
  return valuesOf(q).find((v) => v.value === value)?.label ?? String(value);
}

export const fieldName = (q: Pick<Question, 'id'>) => `q${q.id}`;

/** Is `q` shown, given the values already answered to earlier questions? */
export function isShown(q: Question, given: Map<number, number[]>): boolean {
  if (!q.showIf) return true;
  return (given.get(q.showIf.questionId) ?? []).includes(q.showIf.value);
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x) => String(x));

export interface CheckedAnswer {
  values: AnswerValue[];
  /** Field name → French message. */
  errors: Record<string, string>;
  /** What the person gave per question, to fill the form again after an error. */
  given: Map<number, number[]>;
  texts: Map<number, string>;
}

/**
 * Reads a submitted form against the questions, in their order. A question hidden by its
 * condition is ignored (what the browser may still have sent for it is dropped); a shown
 * required question must be answered.
 */
export function checkAnswer(questions: Question[], body: Record<string, unknown>): CheckedAnswer {
  const values: AnswerValue[] = [];
  const errors: Record<string, string> = {};
  const given = new Map<number, number[]>();
  const texts = new Map<number, string>();
  for (const q of [...questions].sort((a, b) => a.position - b.position)) {
    const raw = asList(body[fieldName(q)]).map((s) => s.trim()).filter((s) => s !== '');
    if (!isShown(q, given)) continue;
    if (q.kind === 'text') {
      const text = (raw[0] ?? '').replace(/\r\n/g, '\n');
      texts.set(q.id, text);
      if (text.length > TEXT_MAX) errors[fieldName(q)] = `${TEXT_MAX.toLocaleString('fr-FR')} caractères au plus (${text.length.toLocaleString('fr-FR')} saisis).`;
      else if (text) values.push({ questionId: q.id, value: null, text });
      else if (q.required) errors[fieldName(q)] = 'Réponse obligatoire : écrivez quelques mots.';
      continue;
    }
    const allowed = new Set(valuesOf(q).map((v) => v.value));
    const numbers = raw.map((s) => (/^-?\d{1,3}$/.test(s) ? Number(s) : NaN));
    if (numbers.some((n) => !allowed.has(n))) {
      errors[fieldName(q)] = q.kind === 'scale' ? `Choisissez une valeur de 1 à ${q.scaleMax ?? 5}.` : 'Choix inconnu : choisissez parmi les réponses proposées.';
      continue;
    }
    const chosen = [...new Set(numbers)];
    if (q.kind !== 'multiple' && chosen.length > 1) {
      errors[fieldName(q)] = 'Une seule réponse possible.';
      continue;
    }
    given.set(q.id, chosen);
    if (!chosen.length) {
      if (q.required) errors[fieldName(q)] = q.kind === 'multiple' ? 'Réponse obligatoire : cochez au moins une case.' : 'Réponse obligatoire : choisissez une réponse.';
      continue;
    }
    for (const value of chosen) values.push({ questionId: q.id, value, text: null });
  }
  return { values, errors, given, texts };
}

/** The conditions a question may use: every value of an earlier question that has values. */
export function conditionChoices(questions: Question[], before: number | null): { key: string; label: string }[] {
  return questions
    .filter((q) => q.kind !== 'text' && (before === null || q.position < before))
    .flatMap((q) => valuesOf(q).map((v) => ({ key: `${q.id}:${v.value}`, label: `Q${q.position} « ${short(q.label)} » = ${v.label}` })));
}

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);
