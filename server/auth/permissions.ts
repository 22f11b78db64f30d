import type { SessionUser } from './sessionUser.js';
import { isRole, type Role } from './roles.js';

/** Who may reach a route: anyone, any logged-in user, or holders of a named capability. */
export type Access = 'public' | 'authenticated' | Capability;
/** A capability is named `<owner>:<verb>`, e.g. `forums:moderate`, `core:users:manage`. */
export type Capability = `${string}:${string}`;

export interface CapabilityDecl {
  name: Capability;
  /** French, shown to admins. */
  description: string;
  /** Roles that hold it. Admins hold every capability. */
  roles: Role[];
}

export class PermissionError extends Error {}

/** The one place where "may this user do that" is answered, Moodle-style. */
export class Permissions {
  private readonly capabilities = new Map<string, CapabilityDecl & { owner: string }>();

  declare(owner: string, decls: CapabilityDecl[]): void {
    for (const decl of decls) {
      if (!decl.name.startsWith(`${owner}:`)) {
        throw new PermissionError(`la capacité « ${decl.name} » doit commencer par « ${owner}: »`);
      }
      if (this.capabilities.has(decl.name)) throw new PermissionError(`la capacité « ${decl.name} » est déclarée deux fois`);
      const unknown = decl.roles.filter((r) => !isRole(r));
      if (unknown.length) throw new PermissionError(`rôle inconnu ${unknown.join(', ')} pour « ${decl.name} »`);
    }
    for (const decl of decls) this.capabilities.set(decl.name, { ...decl, owner });
  }

  /** Removes what an owner declared (a plugin that failed after declaring). */
  forget(owner: string): void {
    for (const [name, decl] of this.capabilities) if (decl.owner === owner) this.capabilities.delete(name);
  }

  isKnown(name: string): boolean {
    return this.capabilities.has(name);
  }

  isValidAccess(access: string): access is Access {
    return access === 'public' || access === 'authenticated' || this.capabilities.has(access);
  }

  can(user: SessionUser | null | undefined, capability: Capability): boolean {
    if (!user) return false;
    const decl = this.capabilities.get(capability);
    if (!decl) return false;
    if (user.roles.includes('admin')) return true;
    return user.roles.some((role) => decl.roles.includes(role));
  }

  allows(user: SessionUser | null | undefined, access: Access): boolean {
    if (access === 'public') return true;
    if (access === 'authenticated') return Boolean(user);
    return this.can(user, access);
  }

  list(): (CapabilityDecl & { owner: string })[] {
    return [...this.capabilities.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

export const CORE_CAPABILITIES: CapabilityDecl[] = [
  { name: 'core:admin', description: "Accéder à l'espace d'administration", roles: ['dane'] },
  { name: 'core:plugins:view', description: 'Voir les extensions installées', roles: ['dane'] },
  { name: 'core:packs:manage', description: 'Voir et recharger les parcours de contenu', roles: ['dane'] },
  { name: 'core:users:view', description: 'Rechercher les comptes et voir leurs rôles', roles: ['dane'] },
  { name: 'core:users:manage', description: 'Modifier les rôles des comptes', roles: [] },
  { name: 'core:audit:view', description: "Consulter le journal d'audit", roles: [] },
  { name: 'core:idps:view', description: "Voir l'état des fournisseurs d'identité académiques et les attributs reçus", roles: [] },
  { name: 'core:jobs:view', description: 'Suivre les tâches de fond (envois, résumés, rappels)', roles: ['dane'] },
  { name: 'core:jobs:manage', description: 'Relancer les tâches de fond en échec', roles: [] },
  { name: 'core:outbox:view', description: "Lire la boîte d'envoi des courriels et relancer un envoi", roles: [] },
];
