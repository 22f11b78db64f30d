import type { PluginContext } from '../../server/plugins/context.js';
import { fromParis, parisParts } from './time.js';

/**
 * A few upcoming events for `npm start`, once, after the core demo accounts exist (never in
 * production nor tests). Texts written for Maillon.
 */
export async function seedDemoEvents(ctx: PluginContext): Promise<void> {
  if (ctx.mode !== 'development') return;
  const state = await ctx.db.selectFrom('app_state').select('key').where('key', 'in', ['demo:seeded', 'events:demo-seeded']).execute();
  if (!state.some((s) => s.key === 'demo:seeded') || state.some((s) => s.key === 'events:demo-seeded')) return;
  const organiser = await ctx.db
    .selectFrom('user_identities as i')
    .select('i.user_id')
    .where('i.provider', '=', 'demo')
    .where('i.subject', '=', 'dane')
    .executeTakeFirst();
  const today = parisParts(new Date());
  const at = (daysAhead: number, hour: number, minute = 0) => {
    const base = new Date(Date.UTC(today.year, today.month - 1, today.day + daysAhead));
    return fromParis({ year: base.getUTCFullYear(), month: base.getUTCMonth() + 1, day: base.getUTCDate(), hour, minute, second: 0 })!;
  };
  const events = [
    {
      title: 'Webinaire : protéger les données des élèves',
      description: "Une heure pour faire le point sur les traitements de données dans l'établissement : registre, information des familles, choix des services en ligne.\n\n- exemples concrets\n- questions-réponses",
      kind: 'webinaire' as const,
      starts_at: at(3, 14),
      ends_at: at(3, 15),
      audience_kind: 'academie' as const,
      audience_code: 'poitiers',
      capacity: 100,
      place: '',
      visio_kind: 'classe-virtuelle' as const,
      visio_url: 'https://classe-virtuelle.example.org/rgpd',
    },
    {
      title: 'Atelier Pix : accompagner la certification',
      description: 'Atelier pratique pour préparer les sessions de certification Pix des élèves de 3e.',
      kind: 'atelier' as const,
      starts_at: at(9, 9, 30),
      ends_at: at(9, 12),
      audience_kind: 'departement' as const,
      audience_code: '86',
      capacity: 12,
      place: 'Atelier Canopé, Poitiers',
      visio_kind: null,
      visio_url: null,
    },
    {
      title: 'Regroupement des RUPN de la Vienne',
      description: "Rencontre de rentrée : nouveautés de l'ENT, échanges de pratiques et temps d'accueil des nouveaux référents.",
      kind: 'regroupement' as const,
      starts_at: at(16, 9),
      ends_at: at(16, 16, 30),
      audience_kind: 'departement' as const,
      audience_code: '86',
      capacity: 40,
      place: 'Lycée Victor Hugo, Poitiers',
      visio_kind: 'jitsi' as const,
      visio_url: 'https://meet.jit.si/maillon-regroupement-86',
    },
  ];
  const academy = await ctx.db.selectFrom('academies').select('code').where('name', '=', 'Poitiers').executeTakeFirst();
  await ctx.db.transaction().execute(async (trx) => {
    for (const e of events) {
      await trx
        .insertInto('events')
        .values({ ...e, audience_code: e.audience_kind === 'academie' ? (academy?.code ?? e.audience_code) : e.audience_code, audience_role: null, organiser_id: organiser?.user_id ?? null })
        .execute();
    }
    await trx.insertInto('app_state').values({ key: 'events:demo-seeded', value: JSON.stringify({ at: new Date().toISOString() }) }).execute();
  });
  ctx.log.info({ count: events.length }, 'événements de démonstration créés');
}
