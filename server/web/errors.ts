/**
 * Errors that carry what the user should read. Anything else that reaches the error
 * handler is a bug: logged with its stack, shown as a plain French 500 page.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** French, shown to the user as is. */
    readonly publicMessage: string,
    readonly details: { field?: string; fields?: Record<string, string>; retryAfterSeconds?: number } = {},
  ) {
    super(publicMessage);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, field?: string, fields?: Record<string, string>) =>
  new HttpError(400, message, { field, fields });
export const unauthorized = () => new HttpError(401, 'Vous devez vous connecter pour accéder à cette page.');
export const forbidden = (message = "Vous n'avez pas l'autorisation d'accéder à cette page.") => new HttpError(403, message);
export const notFound = (message = "Cette page n'existe pas ou a été déplacée.") => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
export const unprocessable = (message: string, field?: string) => new HttpError(422, message, { field });

export const STATUS_TITLES: Record<number, string> = {
  400: 'Demande incorrecte',
  401: 'Connexion requise',
  403: 'Accès refusé',
  404: 'Page introuvable',
  405: 'Méthode non autorisée',
  409: 'Conflit',
  413: 'Contenu trop volumineux',
  415: 'Format non pris en charge',
  429: 'Trop de tentatives',
  500: 'Erreur du serveur',
  503: 'Service indisponible',
};
