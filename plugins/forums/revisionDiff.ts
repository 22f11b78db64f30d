import { diffWordsWithSpace } from 'diff';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * What an edit changed in a post's Markdown source, word by word, as escaped HTML: removed
 * words in <del>, added ones in <ins>, each announced in words (screen readers mostly ignore
 * both elements). Null when the texts differ too much to say it usefully.
 */
export function revisionDiffHtml(before: string, after: string): string | null {
  // Bounded: a rewrite of a 20,000-character post is shown whole rather than diffed at length.
  const parts = diffWordsWithSpace(before, after, { maxEditLength: 2000 });
  if (!parts) return null;
  return parts
    .map((part) => {
      const text = escape(part.value);
      if (part.removed) return `<del><span class="visually-hidden">[supprimé : </span>${text}<span class="visually-hidden">]</span></del>`;
      if (part.added) return `<ins><span class="visually-hidden">[ajouté : </span>${text}<span class="visually-hidden">]</span></ins>`;
      return text;
    })
    .join('');
}
