import PDFDocument from 'pdfkit';
import { longDate } from '../../server/web/viewHelpers.js';
import type { LetterRow, ReferentLine } from './letters.js';
import { formatDay, formatEuros, heldMissions, missionLabel, MISSIONS, schoolYearLabel, toolTaskLabel } from './missions.js';

/**
 * The lettre de mission as a PDF (A4, the standard Helvetica fonts: pure JavaScript, nothing to
 * download). Notes are Markdown; the PDF carries their plain text.
 */
export function letterPdf(letter: LetterRow, referents: ReferentLine[], notesText: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `Lettre de mission ${schoolYearLabel(letter.schoolYear)} - ${letter.establishmentName}`, Author: letter.establishmentName, Subject: 'Lettre de mission des RUPN' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica').fontSize(10).fillColor('#444').text(`${letter.establishmentName} - ${letter.city} (UAI ${letter.uai})`);
  doc.moveDown(0.5);
  doc.font('Helvetica-Bold').fontSize(18).fillColor('#000').text(`Lettre de mission des référents numériques (RUPN)`);
  doc.font('Helvetica').fontSize(12).text(`Année scolaire ${schoolYearLabel(letter.schoolYear)} - du ${formatDay(letter.periodStart)} au ${formatDay(letter.periodEnd)}`);
  doc.fontSize(9).fillColor('#444').text(`Version ${letter.revision}, mise à jour le ${longDate(letter.updatedAt)}`);
  doc.fillColor('#000').moveDown();

  for (const r of referents) {
    doc.font('Helvetica-Bold').fontSize(13).text(`${r.givenName} ${r.familyName}`);
    doc.font('Helvetica').fontSize(10).text(`IMP annuelle : ${formatEuros(r.impAmount)}`);
    doc.moveDown(0.3);
    for (const key of heldMissions(r.timeSplit)) {
      const tasks = key === 'outils' && r.toolTasks.length ? ` (${r.toolTasks.map(toolTaskLabel).join(', ')})` : '';
      doc.text(`-  ${missionLabel(key)} : ${r.timeSplit[key]} % du temps${tasks}`, { indent: 12 });
    }
    doc.moveDown(0.3);
    doc.fontSize(9).fillColor('#444').text(r.acknowledgedAt ? `Accusé de réception le ${longDate(r.acknowledgedAt)}` : 'Accusé de réception : en attente');
    doc.fillColor('#000').moveDown();
  }

  if (notesText.trim()) {
    doc.font('Helvetica-Bold').fontSize(12).text('Précisions');
    doc.font('Helvetica').fontSize(10).text(notesText.trim());
    doc.moveDown();
  }
  doc.fontSize(8).fillColor('#444').text(`Missions possibles : ${MISSIONS.map((m) => m.label).join(' ; ')}.`);
  doc.end();
  return done;
}
