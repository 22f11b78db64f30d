import type { SessionUser } from '../../server/auth/sessionUser.js';

export interface Step {
  label: string;
  href: string;
  detail: string;
}

/** What to do first, depending on who you are. Links only to pages that exist in the core. */
export function nextSteps(user: SessionUser): Step[] {
  const steps: Step[] = [];
  if (!user.establishments.length && !user.roles.includes('dane') && !user.roles.includes('admin')) {
    steps.push({
      label: 'Vérifier mon profil',
      href: '/profile',
      detail: "Aucun établissement n'est rattaché à votre compte : il le sera à votre prochaine connexion académique.",
    });
  } else {
    steps.push({ label: 'Vérifier mon profil', href: '/profile', detail: 'Votre établissement, votre département et vos rôles.' });
  }
  if (user.roles.includes('rupn')) {
    steps.push({ label: 'Découvrir la mission de RUPN', href: '/home/aide#mission', detail: 'Accompagner, conseiller, administrer, faire le lien avec la collectivité.' });
  }
  if (user.roles.includes('chef')) {
    steps.push({ label: "Le rôle du chef d'établissement", href: '/home/aide#chef', detail: 'Désigner les RUPN et rédiger avec eux la lettre de mission.' });
  }
  if (user.roles.includes('dane') || user.roles.includes('admin')) {
    steps.push({ label: "Ouvrir l'administration", href: '/admin', detail: 'Comptes, parcours de contenu, extensions.' });
  }
  steps.push({ label: "Lire l'aide", href: '/home/aide', detail: 'Se connecter, naviguer, signaler un problème.' });
  return steps;
}
