import { definePlugin } from '../../server/plugins/manifest.js';
import './schema.js';
import { missionRoutes } from './routes.js';
import { seedDemoMission } from './demo.js';
import { DESIGNATED_KIND, activeDesignations } from './designations.js';
import { lettersOfEstablishment } from './letters.js';
import { RECOMMENDED_MAX_REFERENTS, schoolYearLabel, schoolYearOf } from './missions.js';

/**
 * The RUPN mission: the chef d'établissement designates the referents (who get the rupn role and,
 * through it, the onboarding path), writes their lettre de mission each school year, and the
 * network directory lists who holds the mission where. See docs/mission.md.
 */

declare module '../../server/plugins/hooks.js' {
  interface ActionHooks {
    /** A chef designated a RUPN (after the commit and the role change). */
    'mission:designated': { userId: number; establishmentId: string; designationId: number };
    /** A designation ended; the rupn role went with it when it was the person's last one. */
    'mission:ended': { userId: number; establishmentId: string; designationId: number };
  }
}

export default definePlugin({
  name: 'mission',
  version: '1.0.0',
  title: 'Mission RUPN',
  description: "Désignation des RUPN par le chef d'établissement, lettres de mission annuelles et annuaire du réseau.",
  capabilities: [
    { name: 'mission:designate', description: "Désigner les RUPN de son établissement et rédiger leur lettre de mission", roles: ['chef'] },
    { name: 'mission:letters', description: 'Voir ses lettres de mission', roles: ['chef', 'rupn', 'dane'] },
    { name: 'mission:directory', description: "Consulter l'annuaire des RUPN et des coordinateurs de la DANE", roles: ['rupn', 'dane'] },
    { name: 'mission:oversee', description: 'Lire les lettres de mission de tous les établissements', roles: ['dane'] },
  ],
  nav: [
    { id: 'mission', label: 'Lettres de mission', href: '/mission', can: 'mission:letters', order: 14, section: 'Mission RUPN' },
    { id: 'directory', label: 'Annuaire des RUPN', href: '/mission/annuaire', can: 'mission:directory', order: 15, section: 'Mission RUPN' },
  ],
  widgets: [
    {
      // The chef's part of the mission at a glance: referents designated, this year's letter.
      id: 'my-establishments',
      title: 'RUPN de mon établissement',
      can: 'mission:designate',
      order: 4,
      render: async ({ user, partial }, ctx) => {
        if (!user.establishments.length) return null;
        const year = schoolYearOf();
        const rows = await Promise.all(user.establishments.map(async (e) => ({
          establishment: e,
          referents: await activeDesignations(ctx.db, e.uai),
          letter: (await lettersOfEstablishment(ctx.db, e.uai)).find((l) => l.schoolYear === year) ?? null,
        })));
        return partial('widget', { rows, yearLabel: schoolYearLabel(year), recommended: RECOMMENDED_MAX_REFERENTS });
      },
    },
  ],
  fires: { actions: ['mission:designated', 'mission:ended'] },
  routes(router, ctx) {
    ctx.notifications.declareKind({ id: DESIGNATED_KIND, label: 'Ma désignation comme RUPN', defaultEmail: 'immediate' });
    ctx.notifications.declareKind({ id: 'mission:letter', label: 'Lettres de mission à lire', defaultEmail: 'immediate' });
    missionRoutes(router, ctx);
  },
  async start(ctx) {
    await seedDemoMission(ctx);
  },
});
