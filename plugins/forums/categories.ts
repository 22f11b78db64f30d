import { sql } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { DB } from '../../server/db/schema.js';
import { notFound } from '../../server/web/errors.js';
import { canReadCategory } from './access.js';
import { unreadSql } from './unread.js';
import type { CategoryKind } from './schema.js';

export interface Category {
  id: number;
  slug: string;
  title: string;
  description: string;
  kind: CategoryKind;
  readRoles: string[];
  isPublic: boolean;
  /** Set for a département's category: its coordinator moderates it. */
  departmentCode: string | null;
}

const THEMES: { slug: string; title: string; description: string; readRoles?: string[] }[] = [
  { slug: 'ent', title: 'ENT', description: "L'espace numérique de travail : comptes, services, usages en classe." },
  { slug: 'tablettes', title: 'Tablettes', description: 'Déploiement, gestion de flotte et usages pédagogiques des tablettes.' },
  { slug: 'pix', title: 'Pix', description: 'Campagnes, certification et accompagnement des élèves sur Pix.' },
  { slug: 'rgpd', title: 'RGPD', description: 'Données personnelles, registre, choix des services et information des familles.' },
  { slug: 'gar', title: 'GAR', description: "Le gestionnaire d'accès aux ressources : affectations et ressources numériques." },
  { slug: 'pratiques-pedagogiques', title: 'Pratiques pédagogiques', description: 'Retours de classe, scénarios et idées à partager.' },
  { slug: 'equipe-dane', title: 'Équipe DANE', description: "Espace réservé à l'équipe de la DANE.", readRoles: ['dane'] },
];

/** Académie-wide, one per département of the configured académie, and the themes; idempotent. */
export async function seedCategories(db: DB, academyCode: string): Promise<void> {
  const academy = await db.selectFrom('academies').select(['code', 'name']).where('code', '=', academyCode).executeTakeFirst();
  const departments = academy
    ? await db.selectFrom('departments').select(['code', 'name']).where('academy_code', '=', academy.code).orderBy('code').execute()
    : [];
  const rows = [
    ...(academy ? [{ slug: `academie-${academy.code}`, title: `Académie de ${academy.name}`, description: "Annonces et échanges pour toute l'académie.", kind: 'academy' as const, department_code: null, read_roles: [] as string[] }] : []),
    ...departments.map((d) => ({ slug: `departement-${d.code.toLowerCase()}`, title: `${d.name} (${d.code})`, description: `Les référents et équipes du département ${d.name}.`, kind: 'department' as const, department_code: d.code, read_roles: [] as string[] })),
    ...THEMES.map((t) => ({ slug: t.slug, title: t.title, description: t.description, kind: 'theme' as const, department_code: null, read_roles: t.readRoles ?? [] })),
  ];
  if (!rows.length) return;
  await db
    .insertInto('forum_categories')
    .values(rows.map((r, i) => ({ ...r, position: i })))
    .onConflict((oc) => oc.column('slug').doNothing())
    .execute();
}

function toCategory(r: { id: number; slug: string; title: string; description: string; kind: CategoryKind; read_roles: string[]; department_code: string | null }): Category {
  return { id: r.id, slug: r.slug, title: r.title, description: r.description, kind: r.kind, readRoles: r.read_roles, isPublic: r.read_roles.length === 0, departmentCode: r.department_code };
}

const COLUMNS = ['id', 'slug', 'title', 'description', 'kind', 'read_roles', 'department_code'] as const;

export async function allCategories(db: DB): Promise<Category[]> {
  return (await db.selectFrom('forum_categories').select(COLUMNS).orderBy('position').orderBy('id').execute()).map(toCategory);
}

export async function readableCategories(db: DB, user: SessionUser | null | undefined): Promise<Category[]> {
  return (await allCategories(db)).filter((c) => canReadCategory(user, c.readRoles));
}

/** The category, or a 404 for one that does not exist or that the person may not read (its existence stays private). */
export async function readableCategory(db: DB, user: SessionUser | null | undefined, where: { slug: string } | { id: number }): Promise<Category> {
  const row = await db
    .selectFrom('forum_categories')
    .select(COLUMNS)
    .$if('slug' in where, (q) => q.where('slug', '=', (where as { slug: string }).slug))
    .$if('id' in where, (q) => q.where('id', '=', (where as { id: number }).id))
    .executeTakeFirst();
  if (!row || !canReadCategory(user, row.read_roles)) throw notFound("Cette catégorie n'existe pas ou vous n'y avez pas accès.");
  return toCategory(row);
}

/** Ids of the categories a person may read, for SQL filters. */
export async function readableCategoryIds(db: DB, user: SessionUser | null | undefined): Promise<number[]> {
  return (await readableCategories(db, user)).map((c) => c.id);
}

/** Topic counts and last activity per category, with the person's unread topics (muted ones left out). */
export async function categoryStats(db: DB, userId: number): Promise<Map<number, { topics: number; unread: number; lastPostAt: Date | null }>> {
  const rows = await db
    .selectFrom('forum_topics as t')
    .leftJoin('forum_reads as r', (j) => j.onRef('r.topic_id', '=', 't.id').on('r.user_id', '=', userId))
    .leftJoin('forum_watches as wt', (j) => j.onRef('wt.topic_id', '=', 't.id').on('wt.user_id', '=', userId))
    .leftJoin('forum_watches as wc', (j) => j.onRef('wc.category_id', '=', 't.category_id').on('wc.user_id', '=', userId))
    .select([
      't.category_id',
      sql<number>`count(*)::int`.as('topics'),
      sql<number>`count(*) filter (where ${unreadSql})::int`.as('unread'),
      sql<Date | null>`max(t.last_post_at)`.as('last_post_at'),
    ])
    .groupBy('t.category_id')
    .execute();
  return new Map(rows.map((r) => [r.category_id, { topics: r.topics, unread: r.unread, lastPostAt: r.last_post_at }]));
}
