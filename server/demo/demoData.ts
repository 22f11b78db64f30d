import { sql } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Role } from '../auth/roles.js';
import type { UserService } from '../users/userService.js';
import type { Logger } from '../log.js';

/**
 * Demo data of the embedded default: the académie de Poitiers, a dozen establishments of its
 * four départements and one account per role, so that a fresh `npm start` shows a living
 * network. The establishments and people are invented; the places are real.
 */

const UAI_KEYS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
/** A UAI with its check letter (the seven digits modulo 23). */
export function uaiWithKey(digits: string): string {
  return `${digits}${UAI_KEYS[Number(digits) % 23]}`;
}

export const DEMO_ESTABLISHMENTS = [
  { uai: uaiWithKey('0160042'), name: 'Collège Jean Moulin', kind: 'college', city: 'Angoulême', dept: '16' },
  { uai: uaiWithKey('0160118'), name: 'Lycée Élisée Reclus', kind: 'lycee', city: 'Cognac', dept: '16' },
  { uai: uaiWithKey('0160307'), name: 'Collège des Trois Fontaines', kind: 'college', city: 'Ruffec', dept: '16' },
  { uai: uaiWithKey('0170051'), name: 'Lycée Antoine de Saint-Exupéry', kind: 'lycee', city: 'La Rochelle', dept: '17' },
  { uai: uaiWithKey('0170214'), name: 'Collège Pierre Loti', kind: 'college', city: 'Rochefort', dept: '17' },
  { uai: uaiWithKey('0170336'), name: 'Lycée professionnel Bernard Palissy', kind: 'lycee-pro', city: 'Saintes', dept: '17' },
  { uai: uaiWithKey('0790027'), name: 'Collège Jean Zay', kind: 'college', city: 'Niort', dept: '79' },
  { uai: uaiWithKey('0790163'), name: 'Lycée du Haut Val de Sèvre', kind: 'lycee', city: 'Saint-Maixent-l’École', dept: '79' },
  { uai: uaiWithKey('0790285'), name: 'Collège Louis Merle', kind: 'college', city: 'Parthenay', dept: '79' },
  { uai: uaiWithKey('0860019'), name: 'Collège Henri IV', kind: 'college', city: 'Poitiers', dept: '86' },
  { uai: uaiWithKey('0860133'), name: 'Lycée Victor Hugo', kind: 'lycee', city: 'Poitiers', dept: '86' },
  { uai: uaiWithKey('0860249'), name: 'Collège Jules Verne', kind: 'college', city: 'Châtellerault', dept: '86' },
  { uai: uaiWithKey('0860371'), name: 'Lycée Marcelin Berthelot', kind: 'lycee', city: 'Châtellerault', dept: '86' },
] as const;

const at = (name: string) => DEMO_ESTABLISHMENTS.find((e) => e.name === name)!.uai;

export interface DemoAccount {
  key: string;
  givenName: string;
  familyName: string;
  roles: Role[];
  /** What the account is for, shown on the development login page. */
  description: string;
  uai?: string;
  function?: string;
  departmentCode?: string;
  featured: boolean;
}

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { key: 'nouvelle-rupn', givenName: 'Pauline', familyName: 'Girard', roles: ['rupn', 'enseignant'], uai: at('Collège Henri IV'), function: 'ENS', featured: true, description: 'Nouvelle RUPN, désignée à la rentrée : elle commence son parcours.' },
  { key: 'rupn', givenName: 'Karim', familyName: 'Benali', roles: ['rupn', 'enseignant'], uai: at('Lycée Antoine de Saint-Exupéry'), function: 'ENS', featured: true, description: 'RUPN expérimenté, référent depuis plusieurs années.' },
  { key: 'enseignante', givenName: 'Sophie', familyName: 'Martin', roles: ['enseignant'], uai: at('Collège Jean Moulin'), function: 'ENS', featured: true, description: 'Enseignante de lettres, curieuse du numérique.' },
  { key: 'chef', givenName: 'Jean-Marc', familyName: 'Roux', roles: ['chef'], uai: at('Collège Jean Zay'), function: 'DIR', featured: true, description: "Principal de collège : il désigne les RUPN de l'établissement." },
  { key: 'dane', givenName: 'Claire', familyName: 'Dubois', roles: ['dane'], departmentCode: '86', featured: true, description: 'Coordinatrice départementale de la DANE pour la Vienne.' },
  { key: 'admin', givenName: 'Thomas', familyName: 'Leroy', roles: ['admin', 'dane'], departmentCode: '86', featured: true, description: 'Administrateur de la plateforme à la DANE.' },
  { key: 'rupn-poitiers', givenName: 'Élodie', familyName: 'Moreau', roles: ['rupn', 'enseignant'], uai: at('Lycée Victor Hugo'), function: 'ENS', featured: false, description: 'RUPN en lycée, Vienne.' },
  { key: 'rupn-chatellerault', givenName: 'Nicolas', familyName: 'Petit', roles: ['rupn', 'enseignant'], uai: at('Collège Jules Verne'), function: 'ENS', featured: false, description: 'RUPN en collège, Vienne.' },
  { key: 'rupn-saintes', givenName: 'Amélie', familyName: 'Fontaine', roles: ['rupn', 'enseignant'], uai: at('Lycée professionnel Bernard Palissy'), function: 'ENS', featured: false, description: 'RUPN en lycée professionnel, Charente-Maritime.' },
  { key: 'rupn-niort', givenName: 'Julien', familyName: 'Garnier', roles: ['rupn'], uai: at('Lycée du Haut Val de Sèvre'), function: 'DOC', featured: false, description: 'Professeur documentaliste et RUPN, Deux-Sèvres.' },
  { key: 'rupn-ruffec', givenName: 'Hélène', familyName: 'Chevalier', roles: ['rupn', 'enseignant'], uai: at('Collège des Trois Fontaines'), function: 'ENS', featured: false, description: 'RUPN en collège rural, Charente.' },
  { key: 'enseignant-niort', givenName: 'Lucas', familyName: 'Bernard', roles: ['enseignant'], uai: at('Collège Jean Zay'), function: 'ENS', featured: false, description: 'Professeur de technologie au collège Jean Zay, que le principal peut désigner RUPN.' },
  { key: 'coordo-17', givenName: 'Marc', familyName: 'Lambert', roles: ['dane'], departmentCode: '17', featured: false, description: 'Coordinateur départemental de la DANE pour la Charente-Maritime.' },
];

export const DEMO_PROVIDER = 'demo';

function emailOf(account: DemoAccount): string {
  const slug = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]+/g, '-');
  // .example is reserved: demo accounts can never receive a real e-mail.
  return `${slug(account.givenName)}.${slug(account.familyName)}@ac-poitiers.example`;
}

/** Seeds once; each account is skipped if it already exists, so an interrupted seed completes on the next start. */
export async function seedDemoData(db: DB, users: UserService, log: Logger): Promise<boolean> {
  const done = await db.selectFrom('app_state').select('key').where('key', '=', 'demo:seeded').executeTakeFirst();
  if (done) return false;
  await db
    .insertInto('establishments')
    .values(DEMO_ESTABLISHMENTS.map((e) => ({ uai: e.uai, name: e.name, kind: e.kind, city: e.city, department_code: e.dept })))
    .onConflict((oc) => oc.column('uai').doNothing())
    .execute();
  for (const account of DEMO_ACCOUNTS) {
    if (await users.byIdentity(DEMO_PROVIDER, account.key)) continue;
    await users.create(
      {
        email: emailOf(account),
        givenName: account.givenName,
        familyName: account.familyName,
        roles: account.roles,
        establishments: account.uai ? [{ uai: account.uai, function: account.function ?? null, isPrimary: true }] : [],
        departmentCode: account.departmentCode ?? null,
        identity: { provider: DEMO_PROVIDER, subject: account.key },
      },
      'demo',
    );
  }
  await db
    .insertInto('app_state')
    .values({ key: 'demo:seeded', value: JSON.stringify({ at: new Date().toISOString() }) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  log.info({ accounts: DEMO_ACCOUNTS.length, establishments: DEMO_ESTABLISHMENTS.length }, 'données de démonstration créées');
  return true;
}

export interface DemoLoginEntry {
  key: string;
  displayName: string;
  description: string;
  roles: Role[];
  place: string;
  featured: boolean;
}

/** Accounts the development login offers: every account with a demo identity. */
export async function listDemoLogins(db: DB): Promise<DemoLoginEntry[]> {
  const rows = await db
    .selectFrom('user_identities as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .select([
      'i.subject',
      'u.given_name',
      'u.family_name',
      'd.name as department_name',
      sql<string[]>`coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json)`.as('roles'),
      sql<string | null>`(select e.name from user_establishments ue join establishments e on e.uai = ue.uai where ue.user_id = u.id order by ue.is_primary desc limit 1)`.as(
        'establishment',
      ),
    ])
    .where('i.provider', '=', DEMO_PROVIDER)
    .where('u.status', '=', 'active')
    .orderBy('u.id')
    .limit(200)
    .execute();
  const known = new Map(DEMO_ACCOUNTS.map((a) => [a.key, a]));
  return rows.map((r) => {
    const account = known.get(r.subject);
    return {
      key: r.subject,
      displayName: `${r.given_name} ${r.family_name}`.trim(),
      description: account?.description ?? '',
      roles: r.roles as Role[],
      place: [r.establishment, r.department_name].filter(Boolean).join(', '),
      featured: account?.featured ?? false,
    };
  });
}
