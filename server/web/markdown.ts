import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

/**
 * The one renderer for every text a person wrote (posts, messages, lessons, newsletters):
 * Markdown to HTML with marked, then an allow-list with sanitize-html. Raw HTML in the
 * source survives only where the allow-list keeps it; scripts, styles, forms, event
 * handlers and `javascript:` links never do.
 */
const marked = new Marked({ gfm: true, breaks: false, async: false });

// « @prenom.nom » after a space or punctuation, not inside an address; on escaped HTML text.
const MENTION = /(^|[^\p{L}\p{N}._@/&#;-])@([a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?)/giu;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The same, with @mentions set apart in plain text (not in code): forums and chat. */
const markedWithMentions = new Marked({ gfm: true, breaks: false, async: false }).use({
  renderer: {
    text(token) {
      if ('tokens' in token && token.tokens) return false;
      const html = 'escaped' in token && token.escaped ? token.text : escapeHtml(token.text);
      return html.replace(MENTION, '$1<span class="mention">@$2</span>');
    },
  },
});

const TAGS = [
  'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'span',
  'strong', 'em', 'b', 'i', 'del', 's', 'sup', 'sub', 'kbd', 'mark', 'abbr',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption',
  'a', 'img', 'figure', 'figcaption', 'details', 'summary',
];

export interface MarkdownOptions {
  /** Allow images (lessons, newsletters, posts); false for short messages. */
  images?: boolean;
  /** Rewrites relative link and image targets, e.g. to a pack's asset URL. */
  resolveUrl?: (url: string) => string;
  /** Sets « @prenom.nom » apart (`<span class="mention">`), where people are mentioned. */
  mentions?: boolean;
}

function sanitizeOptions({ images = true, resolveUrl }: MarkdownOptions): sanitizeHtml.IOptions {
  const resolve = (url: string | undefined) => (url && resolveUrl && isRelative(url) ? resolveUrl(url) : url);
  return {
    allowedTags: images ? TAGS : TAGS.filter((t) => t !== 'img'),
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
      th: ['scope', 'colspan', 'rowspan', 'align'],
      td: ['colspan', 'rowspan', 'align'],
      ol: ['start'],
      abbr: ['title'],
      code: ['class'],
      span: ['lang', 'class'],
    },
    allowedClasses: { code: [/^language-[a-z0-9-]+$/], span: ['mention'] },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      // A page has one h1, its title: headings written by people start at h2.
      h1: 'h2',
      a: (tagName, attribs) => {
        const href = resolve(attribs.href);
        const next: Record<string, string> = { ...attribs };
        if (href !== undefined) next.href = href;
        if (/^https?:\/\//i.test(href ?? '')) next.rel = 'nofollow noopener noreferrer';
        return { tagName, attribs: next };
      },
      img: (tagName, attribs) => {
        const src = resolve(attribs.src);
        return { tagName, attribs: { ...attribs, ...(src ? { src } : {}), loading: 'lazy', alt: attribs.alt ?? '' } };
      },
    },
  };
}

export function renderMarkdown(source: string, options: MarkdownOptions = {}): string {
  const html = (options.mentions ? markedWithMentions : marked).parse(source ?? '') as string;
  return sanitizeHtml(html, sanitizeOptions(options));
}

/** Plain text of a Markdown source, for excerpts, e-mail previews and search. */
export function markdownToText(source: string): string {
  const html = marked.parse(source ?? '') as string;
  return decodeBasicEntities(sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} }))
    .replace(/\s+/g, ' ')
    .trim();
}

function decodeBasicEntities(text: string): string {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => entities[m] ?? m);
}

function isRelative(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/') && !url.startsWith('#');
}
