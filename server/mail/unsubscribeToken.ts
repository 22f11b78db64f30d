import { createHmac, timingSafeEqual } from 'node:crypto';

/** Who leaves which list: carried, signed, in the one-click unsubscribe link. */
export interface UnsubscribeTarget {
  email: string;
  list: string;
  userId: number | null;
}

/**
 * Signed unsubscribe tokens: the link works without logging in, and cannot be forged to
 * unsubscribe someone else. The key is derived from the instance secret, so changing
 * SESSION_SECRET invalidates the links of mails already sent.
 */
export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('maillon:unsubscribe').digest();
  }

  sign(target: UnsubscribeTarget): string {
    const body = Buffer.from(JSON.stringify([target.email.toLowerCase(), target.list, target.userId])).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The target of a genuine token, or null for anything else (never throws on junk). */
  verify(token: unknown): UnsubscribeTarget | null {
    if (typeof token !== 'string' || token.length > 1000) return null;
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const [email, list, userId] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown[];
      if (typeof email !== 'string' || typeof list !== 'string') return null;
      return { email, list, userId: typeof userId === 'number' ? userId : null };
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 32);
  }
}
