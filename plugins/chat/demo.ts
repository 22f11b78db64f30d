import type { DB } from '../../server/db/schema.js';
import { joinRoom } from './rooms.js';

/** A short conversation in the Vienne room and the tablets room, once, on demo data only. */
export async function seedDemoConversation(db: DB): Promise<void> {
  const demo = await db.selectFrom('app_state').select('key').where('key', 'in', ['demo:seeded', 'chat:demo']).execute();
  if (!demo.some((r) => r.key === 'demo:seeded') || demo.some((r) => r.key === 'chat:demo')) return;
  const people = await db.selectFrom('users').select(['id', 'email']).where('email', 'like', '%@ac-poitiers.example').execute();
  const who = (local: string) => people.find((p) => p.email.startsWith(local))?.id;
  const room = await db.selectFrom('chat_rooms').select('id').where('slug', '=', 'departement:86').executeTakeFirst();
  const tablets = await db.selectFrom('chat_rooms').select('id').where('slug', '=', 'topic:tablettes').executeTakeFirst();
  const elodie = who('elodie.moreau');
  const nicolas = who('nicolas.petit');
  const claire = who('claire.dubois');
  await db.transaction().execute(async (trx) => {
    if (room && elodie && nicolas) {
      const lines: [number, string][] = [
        [elodie, 'Bonjour à tous ! Quelqu’un a déjà préparé la campagne **Pix** de seconde cette année ?'],
        [nicolas, 'Oui, au collège nous la lançons après les vacances. Je partage mon calendrier ici la semaine prochaine.'],
        [elodie, 'Parfait, merci @nicolas.petit !'],
      ];
      for (const [i, [author, body]] of lines.entries()) {
        await trx.insertInto('chat_messages').values({ room_id: room.id, author_id: author, client_id: `demo-86-${i}`, body }).execute();
      }
    }
    if (tablets && nicolas && claire) {
      await joinRoom(trx, tablets.id, nicolas);
      await joinRoom(trx, tablets.id, claire);
      await trx.insertInto('chat_messages').values({ room_id: tablets.id, author_id: claire, client_id: 'demo-tab-0', body: 'Ce salon réunit les établissements équipés de tablettes : posez ici vos questions de gestion de flotte.' }).execute();
    }
    await trx.insertInto('app_state').values({ key: 'chat:demo', value: JSON.stringify({ at: new Date().toISOString() }) }).onConflict((oc) => oc.column('key').doNothing()).execute();
  });
}
