/**
 * Only same-site paths are followed after login or a form: `/forums/1` yes,
 * `//evil.example`, `/\evil.example`, `https://…` and `javascript:` no.
 */
export function safeLocalPath(target: unknown, fallback = '/'): string {
  if (typeof target !== 'string' || target.length > 2000) return fallback;
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\\]/.test(target)) return fallback;
  return target;
}
