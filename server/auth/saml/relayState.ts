import { safeLocalPath } from '../../web/safeRedirect.js';

/**
 * Where to go after an SSO login: RelayState must be a path of Maillon (or a full URL of this
 * very instance, as IdP portals send). Null means it points elsewhere and the login is refused.
 */
export function relayTarget(relayState: unknown, baseUrl: string): string | null {
  if (relayState === undefined || relayState === null || relayState === '') return '/';
  if (typeof relayState !== 'string') return null;
  let candidate = relayState;
  if (candidate.startsWith(`${baseUrl}/`)) candidate = candidate.slice(baseUrl.length);
  const safe = safeLocalPath(candidate, '\u0000');
  return safe === '\u0000' ? null : safe;
}
