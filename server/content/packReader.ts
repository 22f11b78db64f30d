import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Lexer, type Token } from 'marked';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { PackErrorRecord, StoredCompletionRule, StoredLesson, StoredQuiz, StoredResource } from '../db/schema.js';
import { moduleFrontMatterSchema, packManifestSchema, quizSchema, type ModuleFrontMatter, type PackManifest } from './packFormat.js';

export interface ParsedModule {
  id: string;
  position: number;
  title: string;
  summary: string;
  themes: string[];
  competences: string[];
  requires: string[];
  durationMinutes: number | null;
  lessons: StoredLesson[];
  quiz: StoredQuiz | null;
  resources: StoredResource[];
  completion: StoredCompletionRule;
}

export interface ParsedPack {
  manifest: PackManifest;
  modules: ParsedModule[];
  checksum: string;
  source: string;
}

export type PackReadResult = { ok: true; pack: ParsedPack } | { ok: false; packId: string | null; version: string | null; errors: PackErrorRecord[] };

const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Reads and checks a pack folder. Every problem is collected with the file, the line where
 * known and the field, so an author fixes them all in one go; nothing is stored here.
 */
export async function readPack(dir: string): Promise<PackReadResult> {
  const errors: PackErrorRecord[] = [];
  const manifestDoc = await readYamlFile(dir, 'pack.yaml', errors);
  if (!manifestDoc) return { ok: false, packId: null, version: null, errors };
  const manifest = validate(packManifestSchema, manifestDoc, 'pack.yaml', errors);
  const rawId = manifestDoc.doc.get('id');
  const rawVersion = manifestDoc.doc.get('version');
  const packId = typeof rawId === 'string' ? rawId : null;
  const version = typeof rawVersion === 'string' ? rawVersion : null;
  if (!manifest) return { ok: false, packId, version, errors };

  const modules: ParsedModule[] = [];
  const moduleFiles = new Map<string, string>();
  for (const [index, file] of manifest.modules.entries()) {
    const line = lineOf(manifestDoc, ['modules', index]);
    const relative = insidePack(file);
    if (!relative) {
      errors.push({ file: 'pack.yaml', line, field: `modules.${index}`, message: `chemin hors du parcours : ${file}` });
      continue;
    }
    const parsed = await readModule(dir, relative, manifest.id, index, errors, line);
    if (!parsed) continue;
    const previous = moduleFiles.get(parsed.id);
    if (previous) {
      errors.push({ file: relative, line: 2, field: 'id', message: `identifiant de module « ${parsed.id} » déjà utilisé par ${previous}` });
      continue;
    }
    moduleFiles.set(parsed.id, relative);
    modules.push(parsed);
  }
  checkRequirements(modules, moduleFiles, errors);

  if (errors.length) return { ok: false, packId, version, errors };
  return { ok: true, pack: { manifest, modules, checksum: await checksumOf(dir), source: dir } };
}

async function readModule(
  dir: string,
  file: string,
  packId: string,
  position: number,
  errors: PackErrorRecord[],
  listedAtLine?: number,
): Promise<ParsedModule | null> {
  const source = await readText(dir, file, errors, { file: 'pack.yaml', line: listedAtLine });
  if (source === null) return null;
  const split = splitFrontMatter(source);
  if (!split) {
    errors.push({ file, line: 1, message: 'le module doit commencer par un en-tête YAML entre deux lignes « --- »' });
    return null;
  }
  const doc = parseYaml(split.frontMatter, file, errors, 1);
  if (!doc) return null;
  const front = validate(moduleFrontMatterSchema, doc, file, errors);
  if (!front) return null;

  const moduleDir = path.posix.dirname(file);
  const lessons = splitLessons(split.body, split.bodyLine, file, errors);
  for (const lesson of lessons) lesson.markdown = await rewriteLinks(lesson.markdown, dir, moduleDir, packId, file, errors);

  let quiz: StoredQuiz | null = null;
  if (front.quiz) {
    const quizFile = insidePack(path.posix.join(moduleDir, front.quiz));
    if (!quizFile) {
      errors.push({ file, field: 'quiz', line: lineOf(doc, ['quiz']), message: `chemin hors du parcours : ${front.quiz}` });
    } else {
      const quizDoc = await readYamlFile(dir, quizFile, errors, { file, line: lineOf(doc, ['quiz']) });
      const parsedQuiz = quizDoc ? validate(quizSchema, quizDoc, quizFile, errors) : null;
      if (parsedQuiz) quiz = parsedQuiz as StoredQuiz;
    }
  }

  const resources: StoredResource[] = [];
  for (const [i, r] of front.resources.entries()) {
    if (r.url) {
      resources.push({ title: r.title, href: r.url, kind: 'link', description: r.description });
      continue;
    }
    const asset = await assetPath(dir, moduleDir, r.file!);
    if (!asset.ok) {
      errors.push({ file, line: lineOf(doc, ['resources', i, 'file']), field: `resources.${i}.file`, message: asset.message });
      continue;
    }
    resources.push({ title: r.title, href: `/packs/${packId}/${asset.path}`, kind: 'file', description: r.description });
  }

  return {
    id: front.id,
    position,
    title: front.title,
    summary: front.summary,
    themes: front.themes,
    competences: front.competences,
    requires: front.requires,
    durationMinutes: front.duration ?? null,
    lessons,
    quiz,
    resources,
    completion: completionRule(front, quiz),
  };
}

function completionRule(front: ModuleFrontMatter, quiz: StoredQuiz | null): StoredCompletionRule {
  return {
    lessons: front.completion?.lessons ?? 'all',
    quiz: quiz ? (front.completion?.quiz ?? 'pass') : 'none',
  };
}

function checkRequirements(modules: ParsedModule[], files: Map<string, string>, errors: PackErrorRecord[]): void {
  const byId = new Map(modules.map((m) => [m.id, m]));
  for (const m of modules) {
    for (const r of m.requires) {
      if (r === m.id) errors.push({ file: files.get(m.id)!, field: 'requires', message: 'un module ne peut pas se requérir lui-même' });
      else if (!byId.has(r)) errors.push({ file: files.get(m.id)!, field: 'requires', message: `module requis inconnu : ${r}` });
    }
  }
  // A cycle would lock its modules for ever.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      errors.push({ file: files.get(id)!, field: 'requires', message: `prérequis circulaires : ${[...trail, id].join(' → ')}` });
      return;
    }
    state.set(id, 'visiting');
    for (const r of byId.get(id)?.requires ?? []) if (byId.has(r)) visit(r, [...trail, id]);
    state.set(id, 'done');
  };
  for (const m of modules) visit(m.id, []);
}

/** `# Titre` lines (outside code blocks) start lessons; `# Titre {#id}` fixes the lesson id. */
function splitLessons(body: string, firstLine: number, file: string, errors: PackErrorRecord[]): StoredLesson[] {
  const lessons: { title: string; id: string | null; lines: string[] }[] = [];
  let fence: string | null = null;
  let preamble: string[] = [];
  for (const line of body.split('\n')) {
    const fenceMatch = /^(```|~~~)/.exec(line.trim());
    if (fenceMatch) fence = fence === null ? fenceMatch[1]! : fence === fenceMatch[1] ? null : fence;
    const heading = fence === null ? /^#\s+(.+?)\s*(?:\{#([a-z0-9-]+)\})?\s*$/.exec(line) : null;
    if (heading) {
      lessons.push({ title: heading[1]!, id: heading[2] ?? null, lines: [] });
    } else if (lessons.length) {
      lessons[lessons.length - 1]!.lines.push(line);
    } else {
      preamble.push(line);
    }
  }
  if (preamble.join('').trim()) lessons.unshift({ title: 'Introduction', id: 'introduction', lines: preamble });
  preamble = [];
  if (!lessons.length) {
    errors.push({ file, line: firstLine, message: 'aucune leçon : chaque leçon commence par un titre « # Titre de la leçon »' });
    return [];
  }
  const used = new Set<string>();
  return lessons.map((l) => {
    let id = l.id ?? slugify(l.title);
    for (let n = 2; used.has(id); n++) id = `${l.id ?? slugify(l.title)}-${n}`;
    used.add(id);
    return { id, title: l.title, markdown: l.lines.join('\n').trim() };
  });
}

/** Relative links and images of a lesson point into the pack's `assets/`: checked, then made absolute. */
async function rewriteLinks(
  markdown: string,
  dir: string,
  moduleDir: string,
  packId: string,
  file: string,
  errors: PackErrorRecord[],
): Promise<string> {
  const targets = new Set<string>();
  const walk = (tokens: Token[]) => {
    for (const t of tokens) {
      if ((t.type === 'link' || t.type === 'image') && isRelativeUrl(t.href)) targets.add(t.href);
      const nested = t as Token & { tokens?: Token[]; items?: Token[]; rows?: Token[][]; header?: Token[] };
      if (nested.tokens) walk(nested.tokens);
      if (nested.items) walk(nested.items);
      if (nested.header) walk(nested.header.flatMap((c) => (c as Token & { tokens?: Token[] }).tokens ?? []));
      if (nested.rows) walk(nested.rows.flat().flatMap((c) => (c as Token & { tokens?: Token[] }).tokens ?? []));
    }
  };
  walk(new Lexer().lex(markdown));
  let result = markdown;
  for (const target of targets) {
    const asset = await assetPath(dir, moduleDir, decodeURI(target.split('#')[0]!.split('?')[0]!));
    if (!asset.ok) {
      errors.push({ file, message: `lien ou image « ${target} » : ${asset.message}` });
      continue;
    }
    const url = `/packs/${packId}/${asset.path}`;
    result = result.split(`](${target}`).join(`](${url}`).split(`]: ${target}`).join(`]: ${url}`);
  }
  return result;
}

async function assetPath(dir: string, moduleDir: string, target: string): Promise<{ ok: true; path: string } | { ok: false; message: string }> {
  const relative = insidePack(path.posix.join(moduleDir, target));
  if (!relative || !relative.startsWith('assets/')) {
    return { ok: false, message: 'les fichiers joints doivent se trouver dans le dossier assets/ du parcours' };
  }
  try {
    const stat = await fs.stat(path.join(dir, relative));
    if (!stat.isFile()) return { ok: false, message: `${relative} n'est pas un fichier` };
  } catch {
    return { ok: false, message: `fichier introuvable : ${relative}` };
  }
  return { ok: true, path: relative };
}

function insidePack(relative: string): string | null {
  const normalised = path.posix.normalize(relative.replace(/\\/g, '/'));
  if (normalised.startsWith('../') || normalised === '..' || path.posix.isAbsolute(normalised)) return null;
  return normalised;
}

function isRelativeUrl(url: string): boolean {
  return Boolean(url) && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/') && !url.startsWith('#');
}

interface YamlFile {
  doc: Document;
  lines: LineCounter;
  /** Line of the file where the YAML text starts (front matter starts after its ---). */
  offset: number;
}

async function readYamlFile(dir: string, file: string, errors: PackErrorRecord[], from?: { file: string; line?: number }): Promise<YamlFile | null> {
  const text = await readText(dir, file, errors, from);
  return text === null ? null : parseYaml(text, file, errors, 0);
}

function parseYaml(text: string, file: string, errors: PackErrorRecord[], offset: number): YamlFile | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    for (const e of doc.errors) {
      errors.push({ file, line: (e.linePos?.[0]?.line ?? 0) + offset || undefined, message: `YAML invalide : ${e.message.split('\n')[0]}` });
    }
    return null;
  }
  return { doc, lines, offset };
}

async function readText(dir: string, file: string, errors: PackErrorRecord[], from?: { file: string; line?: number }): Promise<string | null> {
  try {
    const full = path.join(dir, file);
    const stat = await fs.stat(full);
    if (stat.size > MAX_FILE_BYTES) {
      errors.push({ file, message: `fichier trop volumineux (${Math.round(stat.size / 1024)} Kio, 2 Mio au plus)` });
      return null;
    }
    return await fs.readFile(full, 'utf8');
  } catch {
    errors.push({ file: from?.file ?? file, line: from?.line, message: `fichier introuvable : ${file}` });
    return null;
  }
}

function validate<S extends z.ZodType>(schema: S, yaml: YamlFile, file: string, errors: PackErrorRecord[]): z.output<S> | null {
  const result = schema.safeParse(yaml.doc.toJS({ maxAliasCount: 50 }));
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [null];
    for (const key of keys) {
      const fieldPath = key === null ? issue.path : [...issue.path, key];
      const message = key === null ? issue.message : `champ inconnu « ${key} »`;
      errors.push({
        file,
        line: lineOf(yaml, fieldPath as (string | number)[]),
        field: fieldPath.join('.') || undefined,
        message,
      });
    }
  }
  return null;
}

/** The line of a field in a YAML file: its key's line, or the item's line in a list. */
function lineOf(yaml: YamlFile, fieldPath: (string | number)[]): number | undefined {
  let node: unknown = yaml.doc.contents;
  let keyNode: unknown = null;
  for (const part of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      const item = (node as { items: unknown[] }).items[part as number];
      if (item === undefined) break;
      keyNode = null;
      node = item;
    } else break;
  }
  const target = (keyNode ?? node) as { range?: [number, number, number] } | null;
  const offset = target?.range?.[0];
  if (offset === undefined) return undefined;
  return yaml.lines.linePos(offset).line + yaml.offset;
}

function splitFrontMatter(source: string): { frontMatter: string; body: string; bodyLine: number } | null {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!text.startsWith('---\n')) return null;
  const end = text.indexOf('\n---', 3);
  if (end === -1) return null;
  const frontMatter = text.slice(4, end + 1);
  const afterFence = text.indexOf('\n', end + 1);
  const body = afterFence === -1 ? '' : text.slice(afterFence + 1);
  return { frontMatter, body, bodyLine: frontMatter.split('\n').length + 2 };
}

export function slugify(value: string): string {
  return (
    value
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'lecon'
  );
}

/** Files of a pack folder, relative and sorted, hidden ones left out: what its checksum and archive hold. */
export async function packFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  await walk('');
  return files;
}

async function checksumOf(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await packFiles(dir)) {
    hash.update(file).update('\0').update(await fs.readFile(path.join(dir, file))).update('\0');
  }
  return hash.digest('hex');
}
