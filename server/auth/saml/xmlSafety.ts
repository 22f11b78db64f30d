import { DOMParser } from '@xmldom/xmldom';

/** Larger than any real SAML message or IdP metadata document we accept. */
export const MAX_SAML_XML_BYTES = 256 * 1024;
/** Federation metadata (an EntitiesDescriptor of many IdPs) can weigh a few megabytes. */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export class UnsafeXmlError extends Error {}

/**
 * SAML never needs a DTD: refusing any DOCTYPE or entity declaration up front rules out
 * external entities (XXE) and entity expansion (billion laughs) whatever the parser does.
 */
export function assertSafeXml(xml: string, maxBytes = MAX_SAML_XML_BYTES): void {
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw new UnsafeXmlError('document XML trop volumineux');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new UnsafeXmlError('déclaration DOCTYPE ou ENTITY interdite');
}

/** Parses XML strictly: any well-formedness error throws. */
export function parseXml(xml: string, maxBytes = MAX_SAML_XML_BYTES): Document {
  assertSafeXml(xml, maxBytes);
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new UnsafeXmlError(message);
    },
  }).parseFromString(xml, 'text/xml');
  return doc as unknown as Document;
}
