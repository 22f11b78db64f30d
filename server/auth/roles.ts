export const ROLES = ['rupn', 'enseignant', 'chef', 'dane', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  rupn: 'Référent numérique (RUPN)',
  enseignant: 'Enseignant',
  chef: "Chef d'établissement",
  dane: 'Équipe DANE',
  admin: 'Administration',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
