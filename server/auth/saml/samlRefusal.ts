import { SamlStatusError } from '@node-saml/node-saml';
import { HttpError } from '../../web/errors.js';
import { UnsafeXmlError } from './xmlSafety.js';

/** Why a SAML message was refused: the audit log keeps the code, the user reads the French text. */
export type RefusalReason =
  | 'malformed'
  | 'too-large'
  | 'unsigned'
  | 'signature'
  | 'audience'
  | 'destination'
  | 'issuer'
  | 'expired'
  | 'not-yet-valid'
  | 'replay'
  | 'unsolicited'
  | 'relay-state'
  | 'idp-status'
  | 'attributes'
  | 'unknown-idp';

const MESSAGES: Record<RefusalReason, string> = {
  malformed: "La réponse de votre académie est mal formée : la connexion est refusée.",
  'too-large': 'La réponse de votre académie est trop volumineuse : la connexion est refusée.',
  unsigned: "La réponse de votre académie n'est pas signée : la connexion est refusée.",
  signature: "La signature de la réponse de votre académie n'est pas valide : la connexion est refusée.",
  audience: "Cette réponse d'authentification n'est pas destinée à Maillon : la connexion est refusée.",
  destination: "Cette réponse d'authentification n'est pas adressée à cette adresse de Maillon : la connexion est refusée.",
  issuer: "Cette réponse ne vient pas du fournisseur d'identité choisi : la connexion est refusée.",
  expired: 'La réponse de votre académie a expiré. Reprenez la connexion depuis le début.',
  'not-yet-valid': "La réponse de votre académie n'est pas encore valide (horloges décalées) : la connexion est refusée.",
  replay: 'Cette réponse a déjà été utilisée. Reprenez la connexion depuis le début.',
  unsolicited: "Maillon n'a pas demandé cette connexion : commencez-la depuis la page de connexion de Maillon.",
  'relay-state': "L'adresse de retour demandée ne fait pas partie de Maillon : la connexion est refusée.",
  'idp-status': "Votre académie n'a pas pu vous authentifier. Réessayez ou contactez l'assistance de votre académie.",
  attributes: "Votre académie n'a pas transmis les informations nécessaires (adresse électronique, identifiant) : la connexion est refusée.",
  'unknown-idp': "Ce fournisseur d'identité n'est pas configuré sur Maillon ou est indisponible.",
};

export class SamlRefusal extends HttpError {
  constructor(
    readonly reason: RefusalReason,
    /** Technical detail for the audit log, never shown to the user. */
    readonly detail: string,
  ) {
    const status = reason === 'malformed' ? 400 : reason === 'too-large' ? 413 : reason === 'unknown-idp' ? 404 : 403;
    super(status, MESSAGES[reason]);
    this.name = 'SamlRefusal';
  }
}

/** node-saml and xml-crypto report in English prose: sorted here into our reasons. */
export function toRefusal(error: unknown): SamlRefusal | null {
  if (error instanceof SamlRefusal) return error;
  if (error instanceof UnsafeXmlError) return new SamlRefusal('malformed', error.message);
  if (error instanceof SamlStatusError) return new SamlRefusal('idp-status', error.message);
  const message = error instanceof Error ? error.message : String(error);
  const rules: [RegExp, RefusalReason][] = [
    [/not yet valid/i, 'not-yet-valid'],
    [/expired|too old/i, 'expired'],
    [/audience/i, 'audience'],
    [/InResponseTo is missing/i, 'unsolicited'],
    [/InResponseTo|SubjectInResponseTo/i, 'replay'],
    [/no valid subject confirmation/i, 'expired'],
    [/signature|signed|Cannot obtain assertion/i, 'signature'],
    [/issuer/i, 'issuer'],
    [/Missing SAML assertion|Unknown SAML|not a valid XML|XML|parse|unclosed|attribute|element|entity|end of input|NameID/i, 'malformed'],
  ];
  for (const [pattern, reason] of rules) if (pattern.test(message)) return new SamlRefusal(reason, message);
  return null;
}
