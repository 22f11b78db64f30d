/**
 * @mentions: `@prenom.nom` (accents, case and spaces do not matter: `@Élodie.Moreau`,
 * `@elodie.moreau`), matched against the members of the room only.
 */
export function mentionKey(givenName: string, familyName: string): string {
  return normalise(`${givenName}.${familyName}`);
}

/** What a mention is compared on: no accents, lower case, spaces and apostrophes as dashes. */
export function normalise(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[\s'’]+/g, '-');
}

export function mentionedKeys(body: string): string[] {
  const keys = new Set<string>();
  for (const match of body.matchAll(/(?:^|[^\p{L}\p{N}_])@([\p{L}\p{N}'’-]+\.[\p{L}\p{N}'’-]+)/gu)) keys.add(normalise(match[1]!));
  return [...keys];
}

/** The handles under which a person is mentioned: `prenom.nom`, and their address before the @. */
export function handlesOf(user: { givenName: string; familyName: string; email: string }): string[] {
  return [...new Set([mentionKey(user.givenName, user.familyName), normalise(user.email.split('@')[0] ?? '')])].filter(Boolean);
}
