import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { academyByCode } from '../geography/geography.js';
import { isRole, type Role } from './roles.js';

/** Where each Maillon field is read from, first attribute present wins (académie names first). */
export const DEFAULT_ATTRIBUTES = {
  email: ['ctemail', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3'],
  givenName: ['ctfn', 'givenName', 'urn:oid:2.5.4.42'],
  familyName: ['ctln', 'sn', 'urn:oid:2.5.4.4'],
  establishments: ['FrEduRne'],
  functions: ['FrEduFonctAdm'],
  headOf: ['FrEduRneResp'],
};

/** Functions of the Éducation nationale directory and the Maillon role they give. */
export const DEFAULT_FUNCTION_ROLES: Record<string, Role> = {
  DIR: 'chef',
  ENS: 'enseignant',
  DOC: 'enseignant',
  EDU: 'enseignant',
  CTR: 'enseignant',
};

const attributeList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const metadataSource = z.union([
  z.object({ file: z.string().min(1), entityId: z.string().min(1).optional(), refreshMinutes: z.number().int().min(1).max(10_080).default(60) }).strict(),
  z.object({ url: z.url({ protocol: /^https?$/ }), entityId: z.string().min(1).optional(), refreshMinutes: z.number().int().min(1).max(10_080).default(360) }).strict(),
]);

/**
 * The académie identity providers Maillon accepts, read from the file named by
 * SAML_IDP_CONFIG (YAML or JSON). See README « Connexion académique (SAML) ».
 */
export const identityProviderSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'identifiant : minuscules, chiffres et tirets').max(60),
    name: z.string().min(1),
    academy: z.string().refine((code) => academyByCode(code) !== undefined, { message: 'académie inconnue' }),
    metadata: metadataSource,
    /** Sign the AuthnRequest with Maillon's key (the IdP then checks it against the SP metadata). */
    signAuthnRequest: z.boolean().default(true),
    /** Accept responses that answer no request of Maillon's (login started at the IdP portal). */
    allowIdpInitiated: z.boolean().default(false),
    /** Use the IdP's SingleLogoutService when its metadata has one. */
    singleLogout: z.boolean().default(true),
    /** By default the assertion must be covered by a signature (of the response or of itself). */
    wantResponseSigned: z.boolean().default(false),
    wantAssertionSigned: z.boolean().default(false),
    clockSkewSeconds: z.number().int().min(0).max(600).default(120),
    /** The account key: the NameID unless an attribute is named (a stable one, e.g. a persistent id). */
    subjectAttribute: z.string().min(1).nullable().default(null),
    /** The SP entity id this IdP knows Maillon by; default: the SP metadata URL. */
    spEntityId: z.string().min(1).optional(),
    attributes: z
      .object({
        email: attributeList.optional(),
        givenName: attributeList.optional(),
        familyName: attributeList.optional(),
        establishments: attributeList.optional(),
        functions: attributeList.optional(),
        headOf: attributeList.optional(),
      })
      .strict()
      .default({}),
    functionRoles: z
      .record(z.string().min(1), z.string().refine((r) => r === 'chef' || r === 'enseignant', { message: 'rôle attribuable : chef ou enseignant' }))
      .optional(),
  })
  .strict()
  .transform((idp) => ({
    ...idp,
    attributes: { ...DEFAULT_ATTRIBUTES, ...idp.attributes },
    functionRoles: (idp.functionRoles ? Object.fromEntries(Object.entries(idp.functionRoles).filter(([, r]) => isRole(r))) : DEFAULT_FUNCTION_ROLES) as Record<string, Role>,
  }));

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
  // Metadata files are relative to the configuration file, like every path in it.
  return parsed.data.identityProviders.map((idp) =>
    'file' in idp.metadata ? { ...idp, metadata: { ...idp.metadata, file: path.resolve(path.dirname(file), idp.metadata.file) } } : idp,
  );
}
