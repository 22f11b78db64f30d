import { sql } from 'kysely';
import type { DB, Tx } from '../../server/db/schema.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { LIST_ID } from './issues.js';

/**
 * Who receives the LINE: every active RUPN of the issue's académie by default, plus anyone who
 * subscribed; minus whoever left the list in one click (the mail service's `mail_unsubscribes`,
 * keyed by address).
 */

export type SubscriptionStatus = 'rupn' | 'subscribed' | 'unsubscribed' | 'none';

export async function subscriptionOf(db: DB, user: SessionUser): Promise<SubscriptionStatus> {
  const [left, subscribed] = await Promise.all([
    db.selectFrom('mail_unsubscribes').select('list').where('email', '=', user.email.trim().toLowerCase()).where('list', '=', LIST_ID).executeTakeFirst(),
    db.selectFrom('newsletter_subscribers').select('user_id').where('user_id', '=', user.id).executeTakeFirst(),
  ]);
  if (left) return 'unsubscribed';
  if (subscribed) return 'subscribed';
  return user.roles.includes('rupn') ? 'rupn' : 'none';
}

/** Subscribing also lifts an earlier one-click unsubscribe (the resubscribe of the mail service). */
export async function subscriber(db: DB, user: SessionUser, resubscribe: (email: string, list: string) => Promise<void>): Promise<void> {
  await db.insertInto('newsletter_subscribers').values({ user_id: user.id }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
  await resubscribe(user.email, LIST_ID);
}

/** Leaving from the site records the same choice as the one-click link of a mail. */
export async function unsubscriber(db: DB, user: SessionUser): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('newsletter_subscribers').where('user_id', '=', user.id).execute();
    await trx
      .insertInto('mail_unsubscribes')
      .values({ email: user.email.trim().toLowerCase(), list: LIST_ID, user_id: user.id })
      .onConflict((oc) => oc.columns(['email', 'list']).doNothing())
      .execute();
  });
}

/** Audience of an issue as one query (a count, or the insert of its deliveries): never a list in memory. */
function audience(db: DB | Tx, academyCode: string | null) {
  return db
    .selectFrom('users as u')
    .where('u.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb.and([
          eb.exists(eb.selectFrom('user_roles as r').select('r.user_id').whereRef('r.user_id', '=', 'u.id').where('r.role', '=', 'rupn')),
          academyCode === null ? sql<boolean>`true` : eb('u.academy_code', '=', academyCode),
        ]),
        eb.exists(eb.selectFrom('newsletter_subscribers as s').select('s.user_id').whereRef('s.user_id', '=', 'u.id')),
      ]),
    )
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('mail_unsubscribes as m').select('m.email').where('m.list', '=', LIST_ID).whereRef('m.email', '=', sql`lower(trim(u.email))`))),
    );
}

export async function audienceCount(db: DB, academyCode: string | null): Promise<number> {
  const row = await audience(db, academyCode)
    .select(sql<number>`count(distinct lower(trim(u.email)))`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Writes one pending delivery per address (two accounts with one address get one mail). */
export async function deliveriesFiller(trx: Tx, issue: { id: number; academyCode: string | null }): Promise<number> {
  await trx
    .insertInto('newsletter_deliveries')
    .columns(['issue_id', 'email', 'user_id'])
    .expression(
      audience(trx, issue.academyCode)
        .select([sql<number>`${issue.id}::int`.as('issue_id'), sql<string>`lower(trim(u.email))`.as('email'), sql<number>`min(u.id)`.as('user_id')])
        .groupBy(sql`lower(trim(u.email))`),
    )
    .onConflict((oc) => oc.columns(['issue_id', 'email']).doNothing())
    .execute();
  const { n } = await trx
    .selectFrom('newsletter_deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('issue_id', '=', issue.id)
    .executeTakeFirstOrThrow();
  return Number(n);
}
