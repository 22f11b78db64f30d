import { X509Certificate } from 'node:crypto';
import { MAX_METADATA_BYTES, parseXml } from './xmlSafety.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What Maillon needs from an IdP's SAML metadata. */
export interface IdpMetadata {
  entityId: string;
  /** Signing certificates, base64 DER (as in the metadata). */
  certificates: string[];
  /** The earliest expiry among the signing certificates. */
  certificateExpiresAt: Date;
  /** HTTP-Redirect binding: the POST binding would need a script that our CSP forbids. */
  ssoUrl: string;
  sloUrl: string | null;
}

export class MetadataError extends Error {}

/**
 * Reads an EntityDescriptor (alone or the one matching `entityId` in an EntitiesDescriptor).
 * Every certificate must parse: a metadata file with an unreadable certificate is refused
 * rather than half-used.
 */
export function parseIdpMetadata(xml: string, entityId?: string): IdpMetadata {
  let doc: Document;
  try {
    doc = parseXml(xml, MAX_METADATA_BYTES);
  } catch (error) {
    throw new MetadataError(`métadonnées XML illisibles (${(error as Error).message.split('\n')[0]})`);
  }
  const descriptors = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor')).filter(
    (e) => e.getElementsByTagNameNS(MD, 'IDPSSODescriptor').length > 0,
  );
  const entity = entityId ? descriptors.find((e) => e.getAttribute('entityID') === entityId) : descriptors[0];
  if (!entity) throw new MetadataError(entityId ? `aucun IdP « ${entityId} » dans les métadonnées` : 'aucun IDPSSODescriptor dans les métadonnées');
  if (!entityId && descriptors.length > 1) throw new MetadataError('plusieurs IdP dans les métadonnées : précisez « entityId »');
  const idp = entity.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0]!;

  const certificates: string[] = [];
  let expiresAt = Infinity;
  for (const key of Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const node of Array.from(key.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const base64 = (node.textContent ?? '').replace(/\s+/g, '');
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(Buffer.from(base64, 'base64'));
      } catch {
        throw new MetadataError('certificat de signature illisible dans les métadonnées');
      }
      certificates.push(base64);
      expiresAt = Math.min(expiresAt, new Date(certificate.validTo).getTime());
    }
  }
  if (!certificates.length) throw new MetadataError('aucun certificat de signature dans les métadonnées');

  const services = (name: string) =>
    Array.from(idp.getElementsByTagNameNS(MD, name)).map((s) => ({ binding: s.getAttribute('Binding'), location: s.getAttribute('Location') ?? '' }));
  const sso = services('SingleSignOnService');
  const ssoRedirect = sso.find((s) => s.binding === REDIRECT_BINDING);
  if (!ssoRedirect || !/^https?:\/\//.test(ssoRedirect.location)) throw new MetadataError('aucun SingleSignOnService en HTTP-Redirect');
  const slo = services('SingleLogoutService').find((s) => s.binding === REDIRECT_BINDING && /^https?:\/\//.test(s.location));

  return {
    entityId: entity.getAttribute('entityID') ?? '',
    certificates,
    certificateExpiresAt: new Date(expiresAt),
    ssoUrl: ssoRedirect.location,
    sloUrl: slo?.location ?? null,
  };
}
