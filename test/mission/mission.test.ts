import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';
import { buildUser } from '../support/factories.js';
import { writePack } from '../support/packs.js';
import { missionPack, rgpdPack } from '../support/trainingPacks.js';
import { DEMO_ESTABLISHMENTS } from '../../server/demo/demoData.js';
import { action } from '../../server/plugins/hooks.js';
import { schoolYearLabel, schoolYearOf } from '../../plugins/mission/missions.js';
import { pdfText } from './pdfText.js';

const PLUGINS = ['home', 'training', 'chat', 'mission'].map((p) => path.join(ROOT, 'plugins', p));
const JEAN_ZAY = DEMO_ESTABLISHMENTS.find((e) => e.name === 'Collège Jean Zay')!.uai;
const HENRI_IV = DEMO_ESTABLISHMENTS.find((e) => e.name === 'Collège Henri IV')!.uai;
const YEAR = schoolYearOf();
const BASE = `/mission/etablissements/${JEAN_ZAY}`;

type Staff = Awaited<ReturnType<typeof buildUser>>;

describe('mission: designation, lettre de mission, directory', function () {
  this.timeout(60_000);
  let t: TestApp;
  let contentDir: string;
  let chef: supertest.Agent;
  let staff: Staff[];
  const fired: { name: string; userId: number; establishmentId: string }[] = [];

  before(async () => {
    contentDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-mission-'));
    await writePack(missionPack(), path.join(contentDir, 'rupn-mission'));
    await writePack(rgpdPack(), path.join(contentDir, 'rgpd'));
    t = await startTestApp({ contentDir, pluginDirs: PLUGINS });
    const core = t.maillon.core;
    core.hooks.register('listener', action('mission:designated', (p) => void fired.push({ name: 'designated', ...p })));
    core.hooks.register('listener', action('mission:ended', (p) => void fired.push({ name: 'ended', ...p })));
    staff = [];
    for (const [givenName, familyName] of [['Inès', 'Aubert'], ['Bruno', 'Caron'], ['Chloé', 'Dumas'], ['David', 'Ferrand'], ['Emma', 'Gauthier']] as const) {
      staff.push(await buildUser(core, { givenName, familyName, roles: ['enseignant'], uai: JEAN_ZAY }));
    }
    chef = await t.loginAs('chef');
  });
  after(async () => {
    await t.close();
    await fs.rm(contentDir, { recursive: true, force: true });
  });

  const db = () => t.maillon.core.db;
  async function post(client: supertest.Agent, pageUrl: string, url: string, fields: Record<string, string | string[]>) {
    const page = await client.get(pageUrl);
    return client.post(url).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
  }
  const designate = (userId: number, extra: Record<string, string> = {}) => post(chef, BASE, `${BASE}/designations`, { userId: String(userId), ...extra });
  const activeAt = async (uai: string) =>
    (await db().selectFrom('mission_designations').select('user_id').where('uai', '=', uai).where('ended_on', 'is', null).execute()).map((r) => r.user_id);
  const rolesOf = async (id: number) => (await t.maillon.core.users.byId(id))!.roles;

  /** A letter form for the given referents: every one gets the same split unless told otherwise. */
  function letterFields(referents: Staff[], overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
    const fields: Record<string, string | string[]> = { annee: String(YEAR), debut: `${YEAR}-09-01`, fin: `${YEAR + 1}-08-31`, notes: 'Bilan **en juin**.' };
    for (const r of referents) {
      Object.assign(fields, {
        [`temps-${r.id}-accompagner`]: '40',
        [`temps-${r.id}-conseiller`]: '20',
        [`temps-${r.id}-communiquer`]: '10',
        [`temps-${r.id}-former`]: '10',
        [`temps-${r.id}-outils`]: '20',
        [`outils-${r.id}`]: ['ent', 'tablettes'],
        [`imp-${r.id}`]: '2500',
      });
    }
    return { ...fields, ...overrides };
  }
  const writeLetter = (fields: Record<string, string | string[]>) => post(chef, `${BASE}/lettre?annee=${fields.annee}`, `${BASE}/lettre`, fields);

  describe('designation', () => {
    it("lists the establishment's staff for its chef", async () => {
      const page = await chef.get(BASE).expect(200);
      expect(page.text).to.contain('RUPN du Collège Jean Zay');
      // Given name first, sorted by family name (Lucas Bernard is a demo teacher of the collège).
      const options = [...page.text.matchAll(/<option value="\d+">([^<]+)<\/option>/g)].map((m) => m[1]);
      expect(options.slice(0, 3)).to.deep.equal(['Inès Aubert (ENS)', 'Lucas Bernard (ENS)', 'Bruno Caron (ENS)']);
      for (const s of staff) expect(options).to.include(`${s.givenName} ${s.familyName} (ENS)`);
      expect(page.text).to.contain("Aucun RUPN n'est désigné");
      // The chef's dashboard says so too, with the way to act; « Mes lettres » is for referents.
      const home = (await chef.get('/').expect(200)).text;
      const widget = home.slice(home.indexOf('data-widget="my-establishments"'));
      expect(widget).to.contain("Aucun RUPN n'est désigné.");
      expect(widget).to.contain(`href="${BASE}"`);
      expect((await chef.get('/mission').expect(200)).text).not.to.contain('Aucune lettre de mission ne vous nomme');
      expect((await (await t.loginAs('enseignante')).get('/').expect(200)).text).not.to.contain('data-widget="my-establishments"');
    });

    it('designates a teacher: she gets the rupn role, the onboarding path, the chat rooms of her place and the hook fires', async () => {
      const [ines] = staff;
      const res = await designate(ines!.id);
      expect(res.status).to.equal(303);
      expect(await rolesOf(ines!.id)).to.include('rupn');
      expect(await rolesOf(ines!.id)).to.include('enseignant');
      const enrolment = await db().selectFrom('training_enrolments').select('path_id').where('user_id', '=', ines!.id).executeTakeFirst();
      expect(enrolment, 'inscrite au parcours').to.not.equal(undefined);
      // Jean Zay is in the Deux-Sèvres: her rooms are that département's and the académie's.
      const rooms = await db().selectFrom('chat_members as m').innerJoin('chat_rooms as r', 'r.id', 'm.room_id').select('r.slug').where('m.user_id', '=', ines!.id).orderBy('r.slug').execute();
      expect(rooms.map((r) => r.slug)).to.deep.equal(['academie:poitiers', 'departement:79']);
      expect(fired).to.deep.include({ name: 'designated', userId: ines!.id, establishmentId: JEAN_ZAY, designationId: fired.find((f) => f.userId === ines!.id)!['designationId' as never] });
      const page = await chef.get(BASE).expect(200);
      expect(page.text).to.contain('Désignation enregistrée : Inès Aubert devient RUPN');
      expect(page.text).to.match(/RUPN désignés \(1\)/);
      // She is told, in the bell and by e-mail, with a link to her onboarding path.
      const notes = await db().selectFrom('notifications').select(['title', 'body', 'url']).where('user_id', '=', ines!.id).where('kind', '=', 'mission:designated').execute();
      expect(notes).to.deep.equal([{
        title: 'Vous êtes désigné·e RUPN du Collège Jean Zay',
        body: "Jean-Marc Roux vous a désigné·e référent·e pour les usages pédagogiques numériques (RUPN). Votre parcours d'entrée dans la fonction vous attend ; votre lettre de mission suivra.",
        url: '/training/mon-parcours',
      }]);
      const inesClient = await t.loginAs(ines!.key);
      const bell = await inesClient.get('/notifications').expect(200);
      expect(bell.text).to.contain('Vous êtes désigné·e RUPN du Collège Jean Zay').and.contain('href="/training/mon-parcours"');
      await t.maillon.core.jobs.drain();
      const mail = await db().selectFrom('mail_outbox').select(['subject', 'text']).where('user_id', '=', ines!.id).where('subject', 'like', '%désigné·e RUPN%').executeTakeFirst();
      expect(mail?.text).to.contain('/training/mon-parcours');
      // Twice is a conflict, not a second designation.
      expect((await designate(ines!.id)).status).to.equal(409);
      expect(await activeAt(JEAN_ZAY)).to.deep.equal([ines!.id]);
    });

    it('refuses someone outside the staff, junk ids, other establishments and people who are not chefs', async () => {
      const outsider = await buildUser(t.maillon.core, { roles: ['enseignant'], uai: HENRI_IV });
      const res = await designate(outsider.id);
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('ne fait pas partie du personnel de l&#39;établissement');
      expect((await designate(0)).status).to.equal(400);
      const junk = await post(chef, BASE, `${BASE}/designations`, { userId: 'abc' });
      expect(junk.status).to.equal(400);
      expect(junk.text).to.contain('« Personne »');
      // The chef of Jean Zay is no chef of Henri IV.
      expect((await chef.get(`/mission/etablissements/${HENRI_IV}`)).status).to.equal(403);
      const other = await post(chef, BASE, `/mission/etablissements/${HENRI_IV}/designations`, { userId: String(outsider.id) });
      expect(other.status).to.equal(403);
      expect(await activeAt(HENRI_IV)).to.not.include(outsider.id);
      // A RUPN or a teacher of the establishment cannot designate anyone.
      const teacher = await t.loginAs(staff[4]!.key);
      expect((await teacher.get(BASE)).status).to.equal(403);
      expect((await post(teacher, '/', `${BASE}/designations`, { userId: String(staff[4]!.id) })).status).to.equal(403);
      expect((await chef.get('/mission/etablissements/NOPE')).status).to.equal(404);
    });

    it('warns beyond three referents and designates a fourth only when the chef confirms', async () => {
      expect((await designate(staff[1]!.id)).status).to.equal(303);
      expect((await designate(staff[2]!.id)).status).to.equal(303);
      const refused = await designate(staff[3]!.id);
      expect(refused.status).to.equal(409);
      expect(refused.text).to.contain('la DANE recommande de ne pas dépasser 3 référents');
      expect(refused.text).to.contain('Désigner quand même David Ferrand');
      expect(await activeAt(JEAN_ZAY)).to.have.length(3);
      const confirmed = await designate(staff[3]!.id, { confirmer: 'oui' });
      expect(confirmed.status).to.equal(303);
      const page = await chef.get(BASE).expect(200);
      expect(page.text).to.contain('4 RUPN sont désignés : la DANE recommande de ne pas dépasser 3 référents');
      expect(await activeAt(JEAN_ZAY)).to.have.length(4);
    });
  });

  describe('lettre de mission', () => {
    let letterId: number;
    const referents = () => staff.slice(0, 4);

    it('refuses an IMP outside 1 250 € – 3 750 € with a French message, and keeps what was typed', async () => {
      for (const amount of ['1249', '3751', '0', '', 'mille']) {
        const res = await writeLetter(letterFields(referents(), { [`imp-${staff[1]!.id}`]: amount }));
        expect(res.status, amount).to.equal(422);
        expect(res.text).to.contain('IMP de Bruno Caron : le montant doit être un nombre entier');
        expect(res.text).to.contain('compris entre 1 250 € et 3 750 €');
        expect(res.text).to.contain(`value="${amount}"`);
      }
      expect(await db().selectFrom('mission_letters').select('id').where('uai', '=', JEAN_ZAY).execute()).to.deep.equal([]);
    });

    it('refuses a time split that does not sum to 100 and tool tasks without time on the tools', async () => {
      const res = await writeLetter(letterFields(referents(), { [`temps-${staff[0]!.id}-outils`]: '30' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('Temps d&#39;Inès Aubert : les parts doivent totaliser 100 % (total actuel : 110 %)');
      const tools = await writeLetter(letterFields(referents(), { [`temps-${staff[0]!.id}-outils`]: '0', [`temps-${staff[0]!.id}-accompagner`]: '60' }));
      expect(tools.status).to.equal(422);
      expect(tools.text).to.contain('demandent une part de temps');
      const period = await writeLetter(letterFields(referents(), { fin: `${YEAR}-08-01` }));
      expect(period.status).to.equal(422);
    });

    it('reports every mistake of the letter at once, each next to its field, and keeps what was typed', async () => {
      const [ines, bruno] = staff;
      const res = await writeLetter(letterFields(referents(), {
        [`imp-${ines!.id}`]: '5000',
        [`temps-${ines!.id}-accompagner`]: '30',
        [`temps-${bruno!.id}-outils`]: '0',
        [`temps-${bruno!.id}-accompagner`]: '60',
        fin: `${YEAR}-08-01`,
      }));
      expect(res.status).to.equal(422);
      // The end date is before the school year as well as before the start: both are said.
      expect(res.text).to.contain("La lettre n'est pas enregistrée : 5 points à corriger.");
      expect(res.text).to.contain(`« Fin de la période » : le 1er août ${YEAR} est en dehors de l&#39;année scolaire`);
      // The summary links to each field; each field carries its own message.
      for (const [field, message] of [
        [`imp-${ines!.id}`, 'IMP d&#39;Inès Aubert : le montant doit être un nombre entier'],
        [`temps-${ines!.id}-accompagner`, 'Temps d&#39;Inès Aubert : les parts doivent totaliser 100 % (total actuel : 90 %)'],
        [`outils-${bruno!.id}-ent`, 'Missions de Bruno Caron : les tâches de « Gérer les outils » demandent une part de temps'],
        ['fin', '« Fin de la période » : la période doit se terminer après son début.'],
      ] as const) {
        expect(res.text, field).to.match(new RegExp(`<a href="#${field}">${message.replace(/[()]/g, '\\$&')}`));
        expect(res.text, field).to.match(new RegExp(`id="${field}"[^>]*aria-invalid="true" aria-describedby="[^"]+-erreur"`));
      }
      expect(res.text).to.match(new RegExp(`<p class="error-text" id="imp-${ines!.id}-erreur">IMP d&#39;Inès Aubert`));
      expect(res.text).to.match(new RegExp(`<p class="error-text" id="temps-${ines!.id}-erreur">Temps d&#39;Inès Aubert`));
      // The rule's bounds are on the IMP field itself; what was typed comes back.
      expect(res.text).to.match(new RegExp(`id="imp-${ines!.id}" name="imp-${ines!.id}" min="1250" max="3750" step="1"[^>]* value="5000"`));
      expect(res.text).to.contain(`value="${YEAR}-08-01"`);
      expect(res.text).to.contain(`<label for="imp-${ines!.id}">IMP annuelle d&#39;Inès Aubert (`).and.contain(`<label for="imp-${bruno!.id}">IMP annuelle de Bruno Caron (`);
      // Lines without mistakes are not marked.
      expect(res.text).not.to.match(new RegExp(`id="imp-${bruno!.id}"[^>]*aria-invalid`));
    });

    it('reports a period outside the school year of the letter as such, on the faulty date', async () => {
      const res = await writeLetter(letterFields(referents(), { debut: `${YEAR + 1}-09-01`, fin: `${YEAR + 1}-08-31` }));
      expect(res.status).to.equal(422);
      const year = schoolYearLabel(YEAR);
      expect(res.text).to.contain(`<a href="#debut">« Début de la période » : le 1er septembre ${YEAR + 1} est en dehors de l&#39;année scolaire ${year} (du 1er septembre ${YEAR} au 31 août ${YEAR + 1}).</a>`);
      expect(res.text).to.contain('<a href="#fin">« Fin de la période » : la période doit se terminer après son début.</a>');
      expect(res.text).to.match(/id="debut" name="debut"[^>]*aria-invalid="true" aria-describedby="debut-erreur"/);
      expect(res.text).to.match(/<p class="error-text" id="debut-erreur">« Début de la période » : le 1er septembre/);
      // The summary can take the focus (mission.js moves it there).
      expect(res.text).to.match(/<div class="panel panel--error" role="alert" id="erreur" tabindex="-1" data-error-summary>/);
      const late = await writeLetter(letterFields(referents(), { fin: `${YEAR + 1}-12-31` }));
      expect(late.text).to.contain(`« Fin de la période » : le 31 décembre ${YEAR + 1} est en dehors de l&#39;année scolaire ${year}`);
      expect(late.text).not.to.contain('doit se terminer après son début');
    });

    it('saves the letter at the bounds, shows it on a printable page and tells the referents', async () => {
      const res = await writeLetter(letterFields(referents(), { [`imp-${staff[0]!.id}`]: '1250', [`imp-${staff[3]!.id}`]: '3750', [`outils-${staff[2]!.id}`]: [], [`temps-${staff[2]!.id}-outils`]: '0', [`temps-${staff[2]!.id}-accompagner`]: '60' }));
      expect(res.status).to.equal(303);
      letterId = Number(/\/mission\/lettres\/(\d+)/.exec(res.headers.location!)![1]);
      const page = await chef.get(`/mission/lettres/${letterId}`).expect(200);
      expect(page.text).to.contain(`Lettre de mission ${schoolYearLabel(YEAR)}`);
      expect(page.text).to.contain('1 250 €');
      // The first of the month is an ordinal in French.
      expect(page.text).to.contain(`du 1er septembre ${YEAR} au 31 août ${YEAR + 1}`);
      expect(page.text).to.contain('Bilan <strong>en juin</strong>');
      expect(page.text).to.contain('href="/static/plugins/mission/print.css" media="print"');
      expect(page.text).to.contain('ENT, Tablettes');
      expect(page.text.match(/Accusé de réception : en attente/g)).to.have.length(4);
      const notes = await db().selectFrom('notifications').select(['user_id', 'url']).where('kind', '=', 'mission:letter').execute();
      expect(notes.map((n) => n.user_id).sort()).to.deep.equal(referents().map((r) => r.id).sort());
      const home = (await chef.get('/').expect(200)).text;
      const widget = home.slice(home.indexOf('data-widget="my-establishments"'));
      expect(widget).to.contain('4 RUPN désignés');
      expect(widget).to.contain(`Lettre de mission ${schoolYearLabel(YEAR)} rédigée ; 0 accusé de réception sur 4.`);
      expect(widget).to.contain(`href="/mission/lettres/${letterId}"`);
    });

    it('is acknowledged only by its referents, with the date shown', async () => {
      const ines = await t.loginAs(staff[0]!.key);
      const outsider = await t.loginAs('rupn');
      expect((await outsider.get(`/mission/lettres/${letterId}`)).status).to.equal(403);
      const byOutsider = await post(outsider, '/', `/mission/lettres/${letterId}/accuser`, { version: '1' });
      expect(byOutsider.status).to.equal(403);
      const byChef = await post(chef, `/mission/lettres/${letterId}`, `/mission/lettres/${letterId}/accuser`, { version: '1' });
      expect(byChef.status).to.equal(403);
      const page = await ines.get(`/mission/lettres/${letterId}`).expect(200);
      expect(page.text).to.contain("J'accuse réception de ma lettre de mission");
      const res = await ines.post(`/mission/lettres/${letterId}/accuser`).type('form').send({ _csrf: csrfFrom(page.text), version: '1' });
      expect(res.status).to.equal(303);
      const after = await ines.get(`/mission/lettres/${letterId}`).expect(200);
      expect(after.text).to.contain('Vous avez accusé réception de cette lettre le');
      expect(after.text).not.to.contain("J'accuse réception de ma lettre de mission");
      const row = await db().selectFrom('mission_letter_referents').select('acknowledged_at').where('letter_id', '=', letterId).where('user_id', '=', staff[0]!.id).executeTakeFirstOrThrow();
      expect(row.acknowledged_at).to.be.instanceOf(Date);
      expect((await chef.get(`/mission/lettres/${letterId}`)).text.match(/Accusé de réception : en attente/g)).to.have.length(3);
      expect((await ines.get('/mission')).text).to.contain(`Lettre ${schoolYearLabel(YEAR)}`);
    });

    it('resets the acknowledgements when the letter is edited, says so, and refuses a stale acknowledgement', async () => {
      const form = await chef.get(`${BASE}/lettre?annee=${YEAR}`).expect(200);
      expect(form.text).to.contain('Inès Aubert a déjà accusé réception de cette lettre');
      expect(form.text).to.contain('annule les accusés de réception');
      expect(form.text).to.contain(`id="imp-${staff[3]!.id}" name="imp-${staff[3]!.id}" min="1250" max="3750" step="1" inputmode="numeric" required value="3750"`);
      const res = await writeLetter(letterFields(referents(), { [`imp-${staff[0]!.id}`]: '1500' }));
      expect(res.status).to.equal(303);
      const rows = await db().selectFrom('mission_letter_referents').select(['user_id', 'acknowledged_at', 'imp_amount']).where('letter_id', '=', letterId).execute();
      expect(rows.every((r) => r.acknowledged_at === null)).to.equal(true);
      expect(rows.find((r) => r.user_id === staff[0]!.id)!.imp_amount).to.equal(1500);
      const ines = await t.loginAs(staff[0]!.key);
      const stale = await post(ines, `/mission/lettres/${letterId}`, `/mission/lettres/${letterId}/accuser`, { version: '1' });
      expect(stale.status).to.equal(409);
      expect(stale.text).to.contain('La lettre a été modifiée depuis votre lecture');
    });

    it('keeps letters year after year in the history', async () => {
      const next = letterFields(referents(), { annee: String(YEAR + 1), debut: `${YEAR + 1}-09-01`, fin: `${YEAR + 2}-08-31` });
      expect((await writeLetter(next)).status).to.equal(303);
      const page = await chef.get(BASE).expect(200);
      expect(page.text).to.contain(`Lettre ${schoolYearLabel(YEAR + 1)}`);
      expect(page.text).to.contain(`Lettre ${schoolYearLabel(YEAR)}`);
      // Years long past are read, not rewritten.
      expect((await chef.get(`${BASE}/lettre?annee=${YEAR - 3}`)).status).to.equal(404);
      expect((await writeLetter(letterFields(referents(), { annee: String(YEAR - 3) }))).status).to.equal(422);
    });

    it('downloads a valid PDF that names the establishment and its referents', async () => {
      const res = await chef.get(`/mission/lettres/${letterId}/lettre-de-mission.pdf`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/pdf');
      expect(res.headers['content-disposition']).to.contain('lettre-de-mission-');
      const pdf = res.body as Buffer;
      expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
      expect(pdf.subarray(-6).toString()).to.match(/%%EOF\s*$/);
      const text = pdfText(pdf);
      for (const r of referents()) expect(text).to.contain(`${r.givenName} ${r.familyName}`);
      expect(text).to.contain('Collège Jean Zay');
      expect(text).to.contain('IMP annuelle : 1 500 €');
      expect(text).to.contain(`du 1er septembre ${YEAR} au 31 août ${YEAR + 1}`);
      expect(text).to.contain("Accompagner l'équipe pédagogique : 40 % du temps");
      // Notes keep their paragraphs and list items, one per line.
      await db().updateTable('mission_letters').set({ notes: 'Bilan en juin.\n\n- Former les collègues\n- Tenir le registre' }).where('id', '=', letterId).execute();
      const again = await chef.get(`/mission/lettres/${letterId}/lettre-de-mission.pdf`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      const lines = pdfText(again.body as Buffer).split('\n');
      expect(lines.some((l) => l.trim() === 'Bilan en juin.')).to.equal(true);
      expect(lines.some((l) => /^\W*Former les collègues$/.test(l.trim()))).to.equal(true);
      expect(lines.some((l) => /^\W*Tenir le registre$/.test(l.trim()))).to.equal(true);
      // Someone the letter does not concern gets no PDF either.
      const teacher = await t.loginAs('enseignante');
      expect((await teacher.get(`/mission/lettres/${letterId}/lettre-de-mission.pdf`)).status).to.equal(403);
      expect((await chef.get('/mission/lettres/999999/lettre-de-mission.pdf')).status).to.equal(404);
      expect((await chef.get('/mission/lettres/abc')).status).to.equal(404);
    });
  });

  describe('directory', () => {
    it('shows the DANE coordinators and the RUPNs per département, with their missions, to RUPNs and the DANE only', async () => {
      const dane = await t.loginAs('dane');
      // At first, her own département (Vienne); « Tous » shows the whole académie.
      const own = await dane.get('/mission/annuaire').expect(200);
      expect(own.text).to.contain('Vienne (86)');
      expect(own.text).to.contain('Claire Dubois');
      expect(own.text).not.to.contain('Deux-Sèvres (79)</h2>');
      const page = await dane.get('/mission/annuaire?departement=').expect(200);
      expect(page.text).to.contain('Deux-Sèvres (79)');
      expect(page.text).to.contain('Claire Dubois');
      expect(page.text).to.contain('claire.dubois@ac-poitiers.example');
      expect(page.text).to.contain('Marc Lambert');
      expect(page.text).to.contain('Collège Jean Zay');
      expect(page.text).to.contain('Inès Aubert');
      expect(page.text).to.contain('Accompagner l&#39;équipe pédagogique, Conseiller le chef d&#39;établissement, Communiquer, Se former, Gérer les outils');
      const rupn = await t.loginAs('rupn');
      expect((await rupn.get('/mission/annuaire')).status).to.equal(200);
      const teacher = await t.loginAs('enseignante');
      expect((await teacher.get('/mission/annuaire')).status).to.equal(403);
    });

    it('searches by name, establishment, town and UAI, without caring for accents or case', async () => {
      const rupn = await t.loginAs('rupn');
      const search = async (q: string, extra = '') => (await rupn.get(`/mission/annuaire?q=${encodeURIComponent(q)}${extra}`).expect(200)).text;
      const byName = await search('ines aubert');
      expect(byName).to.contain('Inès Aubert');
      expect(byName).not.to.contain('Bruno Caron');
      expect(await search('JEAN ZAY')).to.contain('Chloé Dumas');
      expect(await search('niort')).to.contain('Bruno Caron');
      const byUai = await search(JEAN_ZAY.toLowerCase());
      expect(byUai).to.contain('David Ferrand');
      expect(byUai).not.to.contain('Élodie Moreau');
      expect(await search('%')).to.contain('0 RUPN trouvé');
      const vienne = await search('', '&departement=86');
      expect(vienne).to.contain('Vienne (86)');
      expect(vienne).not.to.contain('Collège Jean Zay');
      expect((await rupn.get('/mission/annuaire?departement=xx')).status).to.equal(400);
    });

    it('ends a designation: the RUPN leaves the directory and loses the role, the hook fires', async () => {
      const bruno = staff[1]!;
      const designation = await db().selectFrom('mission_designations').select('id').where('user_id', '=', bruno.id).where('ended_on', 'is', null).executeTakeFirstOrThrow();
      const future = await post(chef, BASE, `${BASE}/designations/${designation.id}/fin`, { fin: `${YEAR + 5}-01-01` });
      expect(future.status).to.equal(422);
      const res = await post(chef, BASE, `${BASE}/designations/${designation.id}/fin`, {});
      expect(res.status).to.equal(303);
      expect(await rolesOf(bruno.id)).to.deep.equal(['enseignant']);
      expect(fired.some((f) => f.name === 'ended' && f.userId === bruno.id && f.establishmentId === JEAN_ZAY)).to.equal(true);
      const page = await chef.get(BASE).expect(200);
      expect(page.text).to.contain('Anciens RUPN');
      expect((await post(chef, BASE, `${BASE}/designations/${designation.id}/fin`, {})).status).to.equal(409);
      const dane = await t.loginAs('dane');
      const directory = (await dane.get('/mission/annuaire?departement=').expect(200)).text;
      expect(directory).not.to.contain('Bruno Caron');
      expect(directory).to.contain('Inès Aubert');
      const brunoClient = await t.loginAs(bruno.key);
      expect((await brunoClient.get('/mission/annuaire')).status).to.equal(403);
      // His letters stay in his history.
      expect((await brunoClient.get('/mission')).text).to.contain(`Lettre ${schoolYearLabel(YEAR)}`);
    });

    it('keeps the role of someone still designated elsewhere', async () => {
      const other = await buildUser(t.maillon.core, { givenName: 'Farid', familyName: 'Hamon', roles: ['rupn', 'enseignant'], uai: JEAN_ZAY });
      await db().insertInto('user_establishments').values({ user_id: other.id, uai: HENRI_IV, function: 'ENS', is_primary: false }).execute();
      await db().insertInto('mission_designations').values({ user_id: other.id, uai: HENRI_IV }).execute();
      expect((await designate(other.id, { confirmer: 'oui' })).status).to.equal(303);
      const d = await db().selectFrom('mission_designations').select('id').where('user_id', '=', other.id).where('uai', '=', JEAN_ZAY).executeTakeFirstOrThrow();
      expect((await post(chef, BASE, `${BASE}/designations/${d.id}/fin`, {})).status).to.equal(303);
      expect(await rolesOf(other.id)).to.include('rupn');
    });
  });

  it('seeds demo designations and a letter for the demo RUPNs', async () => {
    const karim = (await t.maillon.core.users.byIdentity('demo', 'rupn'))!;
    const rows = await db().selectFrom('mission_letter_referents').select(['imp_amount', 'acknowledged_at']).where('user_id', '=', karim.id).execute();
    expect(rows).to.have.length(1);
    const client = await t.loginAs('rupn');
    const home = await client.get('/mission').expect(200);
    expect(home.text).to.contain(`Lettre ${schoolYearLabel(YEAR)}`);
  });
});
