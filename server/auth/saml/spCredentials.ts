import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';
import type { Config } from '../../config.js';
import { IdpConfigError } from '../identityProviders.js';

/** Maillon's own SAML key pair: signs AuthnRequests and LogoutRequests, published in the SP metadata. */
export interface SpCredentials {
  privateKey: string;
  certificate: string;
  /** The certificate without PEM armour, as metadata carries it. */
  certificateBase64: string;
  expiresAt: Date;
}

/**
 * In production the key and certificate come from SAML_SP_KEY / SAML_SP_CERT (the académie
 * registers that certificate). Elsewhere a pair is generated once and kept in DATA_DIR, so the
 * SP metadata stays the same across restarts.
 */
export async function loadSpCredentials(config: Config): Promise<SpCredentials> {
  if (config.samlSpKeyPath && config.samlSpCertPath) {
    const [privateKey, certificate] = await Promise.all([
      readOrFail(config.samlSpKeyPath, 'SAML_SP_KEY'),
      readOrFail(config.samlSpCertPath, 'SAML_SP_CERT'),
    ]);
    return checked(privateKey, certificate);
  }
  if (config.mode === 'production') throw new IdpConfigError('SAML_SP_KEY et SAML_SP_CERT sont obligatoires en production.');
  const dir = path.join(config.dataDir, 'saml');
  const keyFile = path.join(dir, 'sp-key.pem');
  const certFile = path.join(dir, 'sp-cert.pem');
  try {
    return checked(await fs.readFile(keyFile, 'utf8'), await fs.readFile(certFile, 'utf8'));
  } catch {
    // First start (or a damaged pair): generate below.
  }
  const host = new URL(config.baseUrl).hostname;
  const pems = await generate([{ name: 'commonName', value: `Maillon ${host}` }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600_000),
  });
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(keyFile, pems.private, { mode: 0o600 });
  await fs.writeFile(certFile, pems.cert);
  return checked(pems.private, pems.cert);
}

async function readOrFail(file: string, variable: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new IdpConfigError(`${variable} : fichier illisible (${file}).`);
  }
}

function checked(privateKey: string, certificate: string): SpCredentials {
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(certificate);
  } catch {
    throw new IdpConfigError('SAML_SP_CERT : certificat PEM illisible.');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(privateKey);
  } catch {
    throw new IdpConfigError('SAML_SP_KEY : clé privée PEM illisible.');
  }
  if (!x509.checkPrivateKey(key)) throw new IdpConfigError('SAML_SP_KEY ne correspond pas au certificat SAML_SP_CERT.');
  return {
    privateKey,
    certificate,
    certificateBase64: x509.raw.toString('base64'),
    expiresAt: new Date(x509.validTo),
  };
}
