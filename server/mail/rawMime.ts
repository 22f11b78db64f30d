import { randomUUID } from 'node:crypto';
import type { MailAttachment } from '../db/schema.js';

/**
 * A whole message as one string (multipart/alternative, base64 parts, inside multipart/mixed
 * when files go with it), for bulk sending:
 * nodemailer then writes it in one piece instead of building and streaming every part, which
 * is most of the CPU per message of a newsletter.
 */
export interface RawMessage {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments?: MailAttachment[];
}

const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const base64Lines = (s: string) => Buffer.from(s, 'utf8').toString('base64').replace(/.{76}(?!$)/g, '$&\r\n');

/** RFC 2047 encoded words of at most 45 bytes each, never splitting a character. */
export function encodeWords(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (ascii(clean) && clean.length < 900) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const ch of clean) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** `Nom <adresse>` with the name encoded when needed; the bare address for the envelope. */
export function parseSender(from: string): { header: string; address: string } {
  const m = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(from);
  if (!m) return { header: from.trim(), address: from.trim() };
  const name = m[1]!.replace(/^"|"$/g, '');
  return { header: name ? `${ascii(name) ? `"${name.replace(/["\\]/g, '')}"` : encodeWords(name)} <${m[2]}>` : `<${m[2]}>`, address: m[2]! };
}

export function rawMime(message: RawMessage): string {
  const boundary = `=_maillon_${randomUUID()}`;
  const sender = parseSender(message.from);
  const attachments = message.attachments ?? [];
  const alternative = [
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.html),
    `--${boundary}--`,
  ];
  // The mailer checked names and types: nothing in them can break out of a header.
  const mixed = `${boundary}_mixed`;
  const body = attachments.length
    ? [
        `Content-Type: multipart/mixed; boundary="${mixed}"`,
        '',
        `--${mixed}`,
        ...alternative,
        ...attachments.flatMap((a) => [
          `--${mixed}`,
          `Content-Type: ${a.contentType}${/charset=/i.test(a.contentType) ? '' : '; charset=utf-8'}; name="${a.filename}"`,
          `Content-Disposition: attachment; filename="${a.filename}"`,
          'Content-Transfer-Encoding: base64',
          '',
          base64Lines(a.content),
        ]),
        `--${mixed}--`,
      ]
    : alternative;
  const lines = [
    `From: ${sender.header}`,
    `To: ${message.to}`,
    `Subject: ${encodeWords(message.subject)}`,
    `Date: ${new Date().toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: ${message.messageId}`,
    ...Object.entries(message.headers).map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`),
    'MIME-Version: 1.0',
    ...body,
    '',
  ];
  return lines.join('\r\n');
}
