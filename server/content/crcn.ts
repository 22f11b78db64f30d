import crcn from './crcn.json' with { type: 'json' };

export interface CrcnCompetence {
  code: string;
  name: string;
  domainCode: string;
  domainName: string;
}

export const CRCN_DOMAINS = crcn.domains;
export const CRCN_COMPETENCES: CrcnCompetence[] = crcn.domains.flatMap((d) =>
  d.competences.map((c) => ({ ...c, domainCode: d.code, domainName: d.name })),
);
const byCode = new Map(CRCN_COMPETENCES.map((c) => [c.code, c]));

export function crcnCompetence(code: string): CrcnCompetence | undefined {
  return byCode.get(code);
}
