import { inflateSync } from 'node:zlib';

// Node's TextDecoder reads windows-1252 as Latin-1; the few WinAnsi letters French needs above it:
const WIN_ANSI: Record<string, string> = { '\x80': '€', '\x85': '…', '\x8c': 'Œ', '\x91': '‘', '\x92': '’', '\x93': '“', '\x94': '”', '\x96': '–', '\x97': '—', '\x9c': 'œ' };
const winAnsi = { decode: (bytes: Buffer) => bytes.toString('latin1').replace(/[\x80-\x9f]/g, (c) => WIN_ANSI[c] ?? c) };

/**
 * The text a PDF made with the standard fonts shows: every content stream inflated, every
 * hex string of its text operators decoded (WinAnsi, which matches Latin-1 for French letters).
 * Enough to check that a generated letter names its people; not a general PDF parser.
 */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const streamPattern = /stream\r?\n/g;
  let match: RegExpExecArray | null;
  while ((match = streamPattern.exec(raw))) {
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      content = raw.slice(start, end);
    }
    for (const op of content.matchAll(/\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hexes = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((m) => m[1]!) : [op[2]!];
      lines.push(hexes.map((h) => winAnsi.decode(Buffer.from(h, 'hex'))).join(''));
    }
    streamPattern.lastIndex = end;
  }
  return lines.join('\n');
}
