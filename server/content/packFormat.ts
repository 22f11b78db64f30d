import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { crcnCompetence } from './crcn.js';

/** Schemas of the pack files; docs/content-packs.md describes the same format for authors. */

const ID = /^[a-z0-9][a-z0-9-]*$/;
const id = (what: string) =>
  z.string().regex(ID, `${what} : minuscules, chiffres et tirets seulement (ex. donnees-personnelles)`).max(64);
const text = z.string().trim().min(1, 'ne peut pas être vide');

export const packManifestSchema = z
  .object({
    id: id('identifiant'),
    title: text.max(200),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version attendue sous la forme 1.2.0'),
    description: z.string().trim().max(2000).default(''),
    audience: z.array(z.enum(ROLES)).default([]),
    themes: z.array(id('thème')).default([]),
    authors: z.array(text).default([]),
    license: z.string().trim().optional(),
    modules: z.array(z.string().regex(/^[^/].*\.md$/, 'chemin de module attendu (ex. modules/01-introduction.md)')).min(1, 'au moins un module'),
  })
  .strict();

const competence = z
  .string()
  .refine((c) => crcnCompetence(c) !== undefined, { message: 'compétence CRCN inconnue (attendu 1.1 à 5.2)' });

export const moduleFrontMatterSchema = z
  .object({
    id: id('identifiant'),
    title: text.max(200),
    summary: z.string().trim().max(1000).default(''),
    duration: z.number().int().positive().max(24 * 60).optional(),
    themes: z.array(id('thème')).default([]),
    competences: z.array(competence).default([]),
    requires: z.array(id('module requis')).default([]),
    quiz: z.string().regex(/\.ya?ml$/, 'fichier de quiz .yaml attendu').optional(),
    resources: z
      .array(
        z
          .object({
            title: text.max(200),
            file: z.string().regex(/^[^/]/).optional(),
            url: z.url({ protocol: /^https?$/ }).optional(),
            description: z.string().trim().max(500).optional(),
          })
          .strict()
          .refine((r) => Boolean(r.file) !== Boolean(r.url), { message: 'une ressource a soit « file », soit « url »' }),
      )
      .default([]),
    completion: z
      .object({
        lessons: z.enum(['all', 'none']).default('all'),
        quiz: z.enum(['pass', 'attempt', 'none']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const feedback = z.string().trim().max(1000).optional();

const choiceQuestion = (type: 'single' | 'multiple') =>
  z
    .object({
      id: id('identifiant de question'),
      type: z.literal(type),
      prompt: text.max(2000),
      choices: z
        .array(z.object({ text: text.max(500), correct: z.boolean().default(false), feedback }).strict())
        .min(2, 'au moins deux choix'),
      explanation: feedback,
    })
    .strict();

export const questionSchema = z.discriminatedUnion('type', [
  choiceQuestion('single').refine((q) => q.choices.filter((c) => c.correct).length === 1, {
    message: 'une question à choix unique a exactement une bonne réponse',
    path: ['choices'],
  }),
  choiceQuestion('multiple').refine((q) => q.choices.some((c) => c.correct), {
    message: 'la question n’a aucune bonne réponse',
    path: ['choices'],
  }),
  z
    .object({ id: id('identifiant de question'), type: z.literal('truefalse'), prompt: text.max(2000), answer: z.boolean(), explanation: feedback })
    .strict(),
  z
    .object({
      id: id('identifiant de question'),
      type: z.literal('matching'),
      prompt: text.max(2000),
      pairs: z.array(z.object({ left: text.max(300), right: text.max(300) }).strict()).min(2, 'au moins deux paires'),
      explanation: feedback,
    })
    .strict()
    .refine((q) => new Set(q.pairs.map((p) => p.left)).size === q.pairs.length && new Set(q.pairs.map((p) => p.right)).size === q.pairs.length, {
      message: 'chaque élément d’une association doit être unique',
      path: ['pairs'],
    }),
  z
    .object({
      id: id('identifiant de question'),
      type: z.literal('short'),
      prompt: text.max(2000),
      accept: z.array(text.max(200)).min(1, 'la question n’a aucune bonne réponse'),
      explanation: feedback,
    })
    .strict(),
]);

export const quizSchema = z
  .object({
    title: text.max(200),
    passMark: z.number().int().min(0).max(100).default(80),
    maxAttempts: z.number().int().positive().nullable().default(null),
    shuffle: z.boolean().default(false),
    questions: z.array(questionSchema).min(1, 'au moins une question'),
  })
  .strict()
  .superRefine((quiz, ctx) => {
    const seen = new Set<string>();
    quiz.questions.forEach((q, i) => {
      if (seen.has(q.id)) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `identifiant de question « ${q.id} » en double` });
      seen.add(q.id);
    });
  });

export type PackManifest = z.output<typeof packManifestSchema>;
export type ModuleFrontMatter = z.output<typeof moduleFrontMatterSchema>;
export type Quiz = z.output<typeof quizSchema>;
