import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DB } from '../../server/db/schema.js';

/** A valid small pack as files; each test breaks one thing. */
export function samplePackFiles(version = '1.0.0'): Record<string, string> {
  return {
    'pack.yaml': `id: essai\ntitle: Parcours d'essai\nversion: ${version}\naudience: [rupn]\nmodules:\n  - modules/a.md\n  - modules/b.md\n`,
    'modules/a.md': `---\nid: module-a\ntitle: Module A\ncompetences: ["4.2"]\nquiz: ../quizzes/a.yaml\nresources:\n  - title: Fiche\n    file: ../assets/fiche.txt\n---\n\nIntro.\n\n# Première leçon\n\nTexte ![schéma](../assets/schema.svg)\n\n\`\`\`\n# pas un titre de leçon\n\`\`\`\n\n# Deuxième leçon {#deux}\n\n[fiche](../assets/fiche.txt)\n`,
    'modules/b.md': `---\nid: module-b\ntitle: Module B\nrequires: [module-a]\n---\n# Seule leçon\n\nTexte.\n`,
    'quizzes/a.yaml': `title: Quiz A\npassMark: 50\nquestions:\n  - id: q1\n    type: single\n    prompt: Qui est responsable des traitements ?\n    choices:\n      - text: Le chef d'établissement\n        correct: true\n      - text: Le RUPN\n  - id: q2\n    type: truefalse\n    prompt: Le GAR minimise les données.\n    answer: true\n`,
    'assets/fiche.txt': 'fiche',
    'assets/schema.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  };
}

export async function writePack(files: Record<string, string | null>, dir?: string): Promise<string> {
  const root = dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-pack-')));
  for (const [file, content] of Object.entries(files)) {
    if (content === null) continue;
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), content);
  }
  return root;
}


/** What the probe plugin keeps per module (test/fixtures/plugins/probe): progress that pack updates must respect. */
export async function probeProgress(db: DB, userId: number, packId: string, moduleIds: string[]): Promise<string[]> {
  if (moduleIds.length) {
    await db
      .insertInto('probe_progress' as never)
      .values(moduleIds.map((moduleId) => ({ user_id: userId, pack_id: packId, module_id: moduleId })) as never)
      .execute();
  }
  const rows = await db.selectFrom('probe_progress' as never).select('module_id' as never).where('user_id' as never, '=', userId as never).execute();
  return rows.map((r) => (r as { module_id: string }).module_id).sort();
}
