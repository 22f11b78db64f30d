/**
 * Small packs for the training tests, in the real format (docs/content-packs.md). Their ids
 * are those of the default path, so the seeding of « Entrée dans la fonction de RUPN » is
 * exercised without the real packs' content.
 */
export function missionPack(version = '1.0.0'): Record<string, string> {
  return {
    'pack.yaml': `id: rupn-mission\ntitle: La mission de RUPN\nversion: ${version}\naudience: [rupn]\nthemes: [mission]\nmodules:\n  - modules/01-missions.md\n  - modules/02-designation.md\n`,
    'modules/01-missions.md': `---\nid: missions\ntitle: Les missions du RUPN\nsummary: Accompagner, conseiller, administrer, faire le lien.\nduration: 15\nthemes: [mission]\ncompetences: ["5.2"]\nquiz: ../quizzes/missions.yaml\nresources:\n  - title: Fiche des missions\n    file: ../assets/fiche.txt\n  - title: Éduscol\n    url: https://eduscol.education.fr/\n---\n\n# Accompagner {#accompagner}\n\nLe RUPN **accompagne** les collègues.\n\n| Mission | Exemple |\n| --- | --- |\n| Conseiller | le chef d'établissement |\n\n![Schéma des missions](../assets/schema.svg)\n\n# Administrer {#administrer}\n\n- l'ENT\n- les comptes\n\n[La fiche](../assets/fiche.txt)\n`,
    'modules/02-designation.md': `---\nid: designation\ntitle: La désignation\ntheme: []\n---\n# La lettre de mission\n\nLe chef d'établissement désigne le RUPN.\n`.replace('theme: []\n', 'themes: [mission]\nrequires: [missions]\ncompetences: ["2.1"]\n'),
    'quizzes/missions.yaml': `title: Les missions\npassMark: 80\nmaxAttempts: 2\nquestions:\n  - id: qui\n    type: single\n    prompt: Qui désigne le RUPN ?\n    choices:\n      - text: Le chef d'établissement\n        correct: true\n        feedback: Oui, par une lettre de mission.\n      - text: Le rectorat\n        feedback: Non, c'est une décision de l'établissement.\n  - id: missions\n    type: multiple\n    prompt: Quelles sont des missions du RUPN ?\n    choices:\n      - text: Accompagner\n        correct: true\n      - text: Administrer\n        correct: true\n      - text: Noter les élèves\n        feedback: Ce n'est pas une mission de référent.\n  - id: imp\n    type: truefalse\n    prompt: La mission peut donner lieu à une IMP.\n    answer: true\n  - id: sigles\n    type: matching\n    prompt: Associez.\n    pairs:\n      - { left: ENT, right: Espace numérique de travail }\n      - { left: GAR, right: Gestionnaire d'accès aux ressources }\n  - id: dane\n    type: short\n    prompt: Quel service académique anime le réseau ?\n    accept: [DANE, Délégation académique au numérique éducatif]\n`,
    'assets/fiche.txt': 'Fiche des missions',
    'assets/schema.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
  };
}

export function rgpdPack(version = '1.0.0'): Record<string, string> {
  return {
    'pack.yaml': `id: rgpd\ntitle: Le RGPD\nversion: ${version}\nthemes: [rgpd]\nmodules:\n  - modules/donnees.md\n`,
    'modules/donnees.md': `---\nid: donnees\ntitle: Les données personnelles\nthemes: [rgpd]\ncompetences: ["4.2"]\nquiz: ../quizzes/donnees.yaml\ncompletion:\n  lessons: none\n  quiz: attempt\n---\n# Définition\n\nUne donnée personnelle identifie une personne.\n`,
    'quizzes/donnees.yaml': `title: Données\nquestions:\n  - id: nom\n    type: truefalse\n    prompt: Le nom d'un élève est une donnée personnelle.\n    answer: true\n`,
  };
}

/** Right answers to the mission quiz, as a form. */
export const MISSION_RIGHT_ANSWERS = {
  'q-qui': '0',
  'q-missions': ['0', '1'],
  'q-imp': 'true',
  'q-sigles-0': '0',
  'q-sigles-1': '1',
  'q-dane': '  délégation académique au numerique  éducatif ',
};
