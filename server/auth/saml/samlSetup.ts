import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import type { Logger } from '../../log.js';
import type { UserService } from '../../users/userService.js';
import { IdpConfigError, readIdentityProviders } from '../identityProviders.js';
import { IdpRegistry } from './idpRegistry.js';
import { loadSpCredentials } from './spCredentials.js';
import { SamlService } from './samlService.js';

/**
 * Reads SAML_IDP_CONFIG, Maillon's key pair and every IdP's metadata. In production any
 * unreadable piece stops the start with a message naming it; elsewhere a broken IdP is shown
 * to admins and left out of the login page.
 */
export async function createSamlService(config: Config, deps: { db: DB; users: UserService; log: Logger }): Promise<SamlService> {
  const idps = config.idpConfigPath ? await readIdentityProviders(config.idpConfigPath) : [];
  // Without any IdP there is nothing to sign: no key pair is generated.
  const credentials = idps.length ? await loadSpCredentials(config) : null;
  const service = new SamlService({ ...deps, config }, idps, credentials);
  await service.start(config.mode === 'production');
  return service;
}

/** The production start-up check, run once before any worker starts. */
export async function checkSamlConfiguration(config: Config, log: Logger): Promise<void> {
  const idps = await readIdentityProviders(config.idpConfigPath!);
  if (idps.length === 0) throw new IdpConfigError(`aucun fournisseur d'identité dans ${config.idpConfigPath}`);
  await loadSpCredentials(config);
  await new IdpRegistry(idps, { cacheDir: `${config.dataDir}/saml/metadata`, log }).loadAll(true);
}
