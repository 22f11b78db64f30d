import { CSV_BOM, csvLine } from '../../server/web/csv.js';

/** The participants' list as French spreadsheets read it: UTF-8 with a BOM, semicolons, CRLF. */

export interface AttendanceLine {
  family_name: string;
  given_name: string;
  email: string;
  establishment: string | null;
  state: 'registered' | 'waiting';
  registered_at: Date;
  attended: boolean | null;
}

const HEADER = ['Nom', 'Prénom', 'Adresse électronique', 'Établissement', 'Inscription', 'Inscrit le', 'Présence'];

export function attendanceCsv(people: AttendanceLine[]): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return (
    CSV_BOM +
    csvLine(HEADER) +
    people
      .map((p) =>
        csvLine([
          p.family_name,
          p.given_name,
          p.email,
          p.establishment,
          p.state === 'registered' ? 'inscrit' : "liste d'attente",
          day(p.registered_at),
          p.state !== 'registered' ? '' : p.attended === null ? 'non renseignée' : p.attended ? 'présent' : 'absent',
        ]),
      )
      .join('')
  );
}
