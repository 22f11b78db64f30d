import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { academyByCode } from '../geography/geography.js';

/**
 * The académie identity providers Maillon accepts, read from the file named by
 * SAML_IDP_CONFIG (YAML or JSON). See README « Connexion académique ».
 */
export const identityProviderSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'identifiant : minuscules, chiffres et tirets'),
    name: z.string().min(1),
    academy: z.string().refine((code) => academyByCode(code) !== undefined, { message: 'académie inconnue' }),
    metadata: z.union([z.object({ file: z.string().min(1) }).strict(), z.object({ url: z.url({ protocol: /^https?$/ }) }).strict()]),
  })
  .loose();

export const idpFileSchema = z.object({ identityProviders: z.array(identityProviderSchema) }).strict();

export type IdentityProviderConfig = z.output<typeof identityProviderSchema>;

export class IdpConfigError extends Error {}

export async function readIdentityProviders(file: string): Promise<IdentityProviderConfig[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new IdpConfigError(`fichier des fournisseurs d'identité illisible : ${file}`);
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new IdpConfigError(`${path.basename(file)} : ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = idpFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IdpConfigError(`${path.basename(file)} : ${issue.path.join('.')} ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const idp of parsed.data.identityProviders) {
    if (ids.has(idp.id)) throw new IdpConfigError(`${path.basename(file)} : fournisseur « ${idp.id} » déclaré deux fois`);
    ids.add(idp.id);
  }
  return parsed.data.identityProviders;
}
