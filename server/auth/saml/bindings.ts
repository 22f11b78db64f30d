import zlib from 'node:zlib';
import { SamlRefusal } from './samlRefusal.js';
import { assertSafeXml, MAX_SAML_XML_BYTES } from './xmlSafety.js';

/**
 * Decoding of SAML messages as they arrive, before node-saml parses anything: bounded size,
 * no DTD or entity. Each throws a SamlRefusal the routes audit.
 */

/** A POST-binding message: base64 of reasonable size. */
export function decodePostMessage(encoded: unknown): string {
  if (typeof encoded !== 'string' || !encoded) throw new SamlRefusal('malformed', 'message SAML absent');
  if (encoded.length > (MAX_SAML_XML_BYTES * 4) / 3 + 4) throw new SamlRefusal('too-large', `message SAML de ${encoded.length} caractères`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw new SamlRefusal('malformed', 'message SAML : base64 invalide');
  const xml = Buffer.from(encoded, 'base64').toString('utf8');
  assertSafeXml(xml);
  return xml;
}

/** A redirect-binding message (deflated), inflated with a ceiling against compression bombs. */
export function decodeRedirectMessage(encoded: unknown): string {
  if (typeof encoded !== 'string' || !encoded) throw new SamlRefusal('malformed', 'message SAML absent');
  let xml: string;
  try {
    xml = zlib.inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: MAX_SAML_XML_BYTES }).toString('utf8');
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new SamlRefusal(tooLarge ? 'too-large' : 'malformed', `message SAML compressé illisible : ${(error as Error).message}`);
  }
  assertSafeXml(xml);
  return xml;
}
