import type { DB } from '../../server/db/schema.js';
import { markRead } from './posting.js';

interface DemoTopic {
  category: string;
  author: string;
  title: string;
  question: boolean;
  posts: { author: string; body: string }[];
  solvedBy?: number;
}

// Demo accounts are found by their e-mail's first part (prenom.nom), as @mentions do.
const TOPICS: DemoTopic[] = [
  {
    category: 'ent',
    author: 'pauline.girard',
    title: 'Réinitialiser le mot de passe ENT d\'un élève',
    question: true,
    posts: [
      { author: 'pauline.girard', body: "Bonjour,\n\nUn élève de 5e a perdu son mot de passe ENT et la vie scolaire me renvoie vers moi. **Qui peut le réinitialiser** dans un collège ?" },
      { author: 'karim.benali', body: "Bonjour Pauline,\n\nLes personnels qui ont le profil d'administrateur local de l'ENT peuvent le faire depuis la console d'administration, onglet *Comptes*. En général le RUPN et la direction ont ce profil : demandez à votre chef d'établissement de vous l'attribuer si ce n'est pas fait." },
      { author: 'pauline.girard', body: 'Merci, c\'était bien ça : la direction m\'a donné le profil et tout fonctionne.' },
    ],
    solvedBy: 1,
  },
  {
    category: 'rgpd',
    author: 'elodie.moreau',
    title: 'Faut-il inscrire une application de quiz au registre ?',
    question: true,
    posts: [
      { author: 'elodie.moreau', body: "Des collègues utilisent une application de quiz en ligne avec des comptes élèves. Est-ce qu'elle doit figurer au **registre des traitements** de l'établissement ?" },
      { author: 'claire.dubois', body: "Oui : dès que l'application traite des données d'élèves identifiables, le traitement s'inscrit au registre tenu par le chef d'établissement. Le module RGPD du parcours de formation détaille la démarche ; privilégiez les services accessibles par le GAR, déjà encadrés." },
    ],
  },
  {
    category: 'pratiques-pedagogiques',
    author: 'nicolas.petit',
    title: 'Des idées de séances avec les tablettes en sciences',
    question: false,
    posts: [
      { author: 'nicolas.petit', body: "Je partage une séance de SVT : relevés de températures avec les tablettes, puis graphique collectif au tableau. Vos idées sont les bienvenues !" },
      { author: 'helene.chevalier', body: 'Très bonne idée. En collège rural on a aussi fait des **capsules vidéo** filmées par les élèves pour expliquer une expérience.' },
    ],
  },
  {
    category: 'departement-86',
    author: 'claire.dubois',
    title: 'Réunion des RUPN de la Vienne en janvier',
    question: false,
    posts: [{ author: 'claire.dubois', body: "La réunion départementale des RUPN aura lieu en janvier. Proposez ici les sujets que vous souhaitez aborder : ENT, Pix, équipements…" }],
  },
];

/** A few topics so that a first `npm start` shows living forums; only when demo accounts exist and the forums are empty. */
export async function seedDemoTopics(db: DB): Promise<void> {
  const any = await db.selectFrom('forum_topics').select('id').limit(1).executeTakeFirst();
  if (any) return;
  const demoSeeded = await db.selectFrom('app_state').select('key').where('key', '=', 'demo:seeded').executeTakeFirst();
  if (!demoSeeded) return;
  const users = await db.selectFrom('users').select(['id', 'email']).where('email', 'like', '%@ac-poitiers.example').execute();
  const idOf = new Map(users.map((u) => [u.email.split('@')[0]!, u.id]));
  const categories = new Map((await db.selectFrom('forum_categories').select(['id', 'slug']).execute()).map((c) => [c.slug, c.id]));
  await db.transaction().execute(async (trx) => {
    for (const topic of TOPICS) {
      const categoryId = categories.get(topic.category);
      if (!categoryId || !idOf.has(topic.author)) continue;
      const created = await trx.insertInto('forum_topics').values({ category_id: categoryId, title: topic.title, author_id: idOf.get(topic.author)!, is_question: topic.question }).returning('id').executeTakeFirstOrThrow();
      const ids: number[] = [];
      for (const [i, post] of topic.posts.entries()) {
        const authorId = idOf.get(post.author) ?? null;
        const row = await trx.insertInto('forum_posts').values({ topic_id: created.id, author_id: authorId, heading: i === 0 ? topic.title : null, body: post.body }).returning('id').executeTakeFirstOrThrow();
        ids.push(row.id);
        // As posting does: what one wrote is read, and one follows the topic one wrote in.
        if (authorId) {
          await markRead(trx, authorId, created.id, row.id);
          await trx.insertInto('forum_watches').values({ user_id: authorId, topic_id: created.id, category_id: null, level: 'watch' })
            .onConflict((oc) => oc.columns(['user_id', 'topic_id']).where('topic_id', 'is not', null).doNothing()).execute();
        }
      }
      await trx
        .updateTable('forum_topics')
        .set({ post_count: ids.length, last_post_id: ids[ids.length - 1]!, solved_post_id: topic.solvedBy === undefined ? null : ids[topic.solvedBy]! })
        .where('id', '=', created.id)
        .execute();
    }
  });
}
