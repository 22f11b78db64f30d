import { sql } from 'kysely';
import type { Tx } from '../../server/db/schema.js';
import { slugify } from './issues.js';

/** Two past issues of the LINE for the demonstration, written once (nothing if any issue exists). */
const DEMO_ISSUES = [
  {
    title: 'La LINE de septembre : une rentrée numérique',
    summary: 'Les dates du trimestre, le parcours des nouveaux référents et un point sur les ENT.',
    daysAgo: 60,
    body: `## Bienvenue aux nouveaux référents

Cette année encore, de nombreux collègues prennent la fonction de référent pour les usages pédagogiques numériques. Un parcours d'entrée dans la fonction les attend sur Maillon : quelques modules courts, à suivre à son rythme.

## Les rendez-vous du trimestre

- un webinaire de présentation de la plateforme en octobre ;
- des regroupements par département avant les vacances d'hiver ;
- les cafés numériques, animés par les référents eux-mêmes.

## Le point ENT

Les comptes des élèves sont ouverts : pensez à vérifier les paramètres de votre établissement avec l'équipe de direction.`,
  },
  {
    title: 'La LINE de novembre : données personnelles et Pix',
    summary: 'Ce qu’un référent doit savoir du RGPD, et la campagne de certification Pix.',
    daysAgo: 20,
    body: `## Données personnelles : les bons réflexes

Avant d'adopter un nouveau service en ligne avec une classe, vérifiez qu'il figure dans la liste des ressources validées, ou posez la question au délégué à la protection des données de l'académie. Le module « RGPD » du catalogue résume l'essentiel.

## Pix : la campagne de certification approche

Les élèves de troisième et de terminale passent la certification au deuxième trimestre. Les référents peuvent aider les équipes à organiser les sessions.

## À lire

Les archives de la LINE sont en ligne, avec un flux RSS pour ne rien manquer.`,
  },
];

export async function demoIssuesSeeder(trx: Tx): Promise<void> {
  const any = await trx.selectFrom('newsletter_issues').select('id').limit(1).executeTakeFirst();
  if (any) return;
  for (const demo of DEMO_ISSUES) {
    const sentAt = new Date(Date.now() - demo.daysAgo * 86_400_000);
    const { id } = await trx
      .insertInto('newsletter_issues')
      .values({ slug: `demo-${slugify(demo.title)}`, title: demo.title, summary: demo.summary, body: demo.body, state: 'sent', sent_at: sentAt, started_at: sentAt, filled_at: sentAt, created_at: sentAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.updateTable('newsletter_issues').set({ slug: `${id}-${slugify(demo.title)}`, updated_at: sql`now()` }).where('id', '=', id).execute();
  }
}
