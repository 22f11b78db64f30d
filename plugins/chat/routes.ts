import crypto from 'node:crypto';
import { z } from 'zod';
import { sql } from 'kysely';
import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import { HttpError, notFound } from '../../server/web/errors.js';
import { idParam, parseInput, stringParam } from '../../server/web/validate.js';
import { ChatError, historyPage, lastChange, messageById, messageMeta } from './messages.js';
import { createGroup, directRoom, joinRoom, leaveRoom, markRead, membersOf, roomById, roomsOf, topicDirectory } from './rooms.js';
import { accept, invitationsFor, invite, pendingInvitees, removeInvitation } from './invitations.js';
import { EMOJI } from './socket.js';
import { handlesOf, mentionKey, normalise } from './mentions.js';
import { findPeople, PEOPLE_PAGE } from './people.js';
import { messageUrl, type ChatService } from './service.js';

/** The pages: everything works without JavaScript; chat.js only makes it live. */

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '🤔', '👀'];
const SEARCH_PAGE = 30;

type Handler = (req: Request, res: Response) => Promise<void>;

/** Chat refusals become the HTTP error a person reads. */
function http(handler: Handler): Handler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof ChatError) throw new HttpError(error.status === 423 ? 409 : error.status, error.message);
      throw error;
    }
  };
}

const newClientId = () => crypto.randomUUID();

/** The person of the request, as a room's member list shows them. */
const joinedNow = (req: Request) => ({ userId: req.user!.id, joined: true, name: req.user!.displayName, department: req.user!.department?.name ?? null });

export function chatRoutes(router: GuardedRouter, service: ChatService): void {
  const { ctx, hub } = service;
  const maxChars = ctx.settings.maxMessageChars;
  const bodyField = z.string().trim().min(1, 'le message est vide').max(maxChars, `le message dépasse ${maxChars} caractères`);

  async function userByEmail(email: string): Promise<{ id: number; name: string }> {
    const row = await ctx.db
      .selectFrom('users')
      .select(['id', 'given_name', 'family_name'])
      .where(sql`lower(email)`, '=', email.trim().toLowerCase())
      .where('status', '=', 'active')
      .orderBy('id')
      .executeTakeFirst();
    if (!row) throw new HttpError(422, `Aucun compte actif n'a l'adresse « ${email} ».`, { field: 'email' });
    return { id: row.id, name: `${row.given_name} ${row.family_name}`.trim() };
  }

  /** The person a form names: picked from the people search (`userId`) or typed (`email`). */
  async function chosenPerson(body: unknown): Promise<{ id: number; name: string }> {
    const input = parseInput(
      z.object({ userId: z.coerce.number().int().positive().optional(), email: z.string().trim().min(3).max(200).optional() }),
      body,
      { userId: 'Personne', email: 'Adresse électronique' },
    );
    if (input.userId !== undefined) return activeUser(input.userId);
    if (input.email !== undefined) return userByEmail(input.email);
    throw new HttpError(422, 'Choisissez une personne.', { field: 'q' });
  }

  async function activeUser(id: number): Promise<{ id: number; name: string }> {
    const row = await ctx.db.selectFrom('users').select(['id', 'given_name', 'family_name']).where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    if (!row) throw new HttpError(422, "Ce compte n'existe pas ou n'est plus actif.", { field: 'q' });
    return { id: row.id, name: `${row.given_name} ${row.family_name}`.trim() };
  }

  /** /chat; after a refused group name, with the name typed and why (422), as the other forms do. */
  async function homePage(req: Request, res: Response, group: { name: string; error: string | null } = { name: '', error: null }, status = 200) {
    const user = req.user!;
    const [rooms, topics, invitations] = await Promise.all([roomsOf(ctx.db, user.id), topicDirectory(ctx.db, user.id), invitationsFor(ctx.db, user.id)]);
    await ctx.views.page(req, res, 'index', { title: 'Discussions', rooms, topics, invitations, group, canModerate: ctx.permissions.can(user, 'chat:moderate') }, status);
  }

  router.get('/', 'authenticated', http((req, res) => homePage(req, res)));

  router.post('/topics/:id/join', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.id);
    const { room } = await service.access(req.user!, roomId);
    if (room.kind !== 'topic') throw notFound();
    await joinRoom(ctx.db, roomId, req.user!.id);
    hub.joined(req.user!.id, roomId);
    hub.memberChanged(roomId, joinedNow(req));
    ctx.flash(req, 'success', `Vous avez rejoint le salon « ${room.name} ».`);
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  router.post('/rooms/:id/leave', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.id);
    const { room, membership } = await service.access(req.user!, roomId);
    if (!membership) throw notFound();
    if (room.kind === 'departement' || room.kind === 'academie') {
      throw new HttpError(409, 'Les salons de votre département et de votre académie suivent votre profil : vous ne pouvez pas les quitter.');
    }
    await leaveRoom(ctx.db, roomId, req.user!.id);
    hub.left(req.user!.id, roomId);
    hub.memberChanged(roomId, { userId: req.user!.id, joined: false });
    ctx.flash(req, 'success', room.kind === 'dm' ? 'Conversation quittée.' : `Vous avez quitté « ${room.name} ».`);
    res.redirect(303, '/chat');
  }));

  router.post('/groups', 'authenticated', http(async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    if (name.length < 2 || name.length > 80) {
      return homePage(req, res, { name, error: 'Donnez au groupe un nom de 2 à 80 caractères.' }, 422);
    }
    const roomId = await createGroup(ctx.db, name, req.user!.id);
    hub.joined(req.user!.id, roomId);
    ctx.flash(req, 'success', `Groupe « ${name} » créé : invitez-y des collègues.`);
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  /** The group of the URL, for its owners; members are told why not, others that it does not exist. */
  async function ownedGroup(req: Request, refusal: string) {
    const roomId = idParam(req.params.id);
    const { room, membership } = await service.access(req.user!, roomId);
    if (room.kind !== 'group' || !membership) throw notFound();
    if (membership.role !== 'owner') throw new HttpError(403, refusal);
    return { roomId, room };
  }

  // An owner invites; the person joins only by accepting, from the list on /chat.
  router.post('/rooms/:id/invite', 'authenticated', http(async (req, res) => {
    const { roomId, room } = await ownedGroup(req, 'Seuls les propriétaires du groupe invitent.');
    if (!service.invitationLimiter.take(req.user!.id)) {
      throw new HttpError(429, 'Vous avez envoyé beaucoup d’invitations en peu de temps. Réessayez dans quelques minutes.', {
        field: 'email',
        retryAfterSeconds: Math.ceil(3600 / ctx.settings.invitationsPerHour),
      });
    }
    const invited = await chosenPerson(req.body);
    const outcome = await invite(ctx.db, roomId, invited.id, req.user!.id);
    if (outcome === 'already-member') throw new HttpError(409, `${invited.name} fait déjà partie du groupe.`, { field: 'email' });
    if (outcome === 'invited') {
      await ctx.notifications.notify([invited.id], { kind: 'chat:invited', title: `${req.user!.displayName} vous invite dans le groupe « ${room.name} »`, body: 'Acceptez ou refusez l’invitation depuis la page Discussions.', url: '/chat#invitations' });
    }
    ctx.flash(req, 'success', outcome === 'invited' ? `Invitation envoyée à ${invited.name}. Le groupe s'ouvrira pour cette personne quand elle aura accepté.` : `${invited.name} a déjà une invitation en attente de réponse.`);
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  router.get('/rooms/:id/inviter', 'authenticated', http(async (req, res) => {
    const { roomId, room } = await ownedGroup(req, 'Seuls les propriétaires du groupe invitent.');
    const url = `/chat/rooms/${roomId}`;
    const [members, invitees] = await Promise.all([membersOf(ctx.db, roomId), pendingInvitees(ctx.db, roomId)]);
    const already = new Map<number, string>([...members.map((m) => [m.userId, 'déjà membre'] as const), ...invitees.map((i) => [i.userId, 'déjà invité·e'] as const)]);
    await peoplePage(req, res, { title: `Inviter dans « ${room.name} »`, searchUrl: `${url}/inviter`, action: `${url}/invite`, verb: 'Inviter', back: { href: url, label: room.name }, already });
  }));

  router.post('/rooms/:id/invitations/:userId/withdraw', 'authenticated', http(async (req, res) => {
    const { roomId } = await ownedGroup(req, 'Seuls les propriétaires du groupe retirent une invitation.');
    if (!(await removeInvitation(ctx.db, roomId, idParam(req.params.userId)))) throw notFound("Cette invitation n'existe plus.");
    ctx.flash(req, 'success', 'Invitation retirée.');
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  router.post('/invitations/:roomId/accept', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.roomId);
    if (!(await accept(ctx.db, roomId, req.user!.id))) throw notFound("Cette invitation n'existe plus : elle a peut-être été retirée.");
    hub.joined(req.user!.id, roomId);
    hub.memberChanged(roomId, joinedNow(req));
    const room = await roomById(ctx.db, roomId);
    ctx.flash(req, 'success', `Vous avez rejoint le groupe « ${room?.name ?? ''} ».`);
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  router.post('/invitations/:roomId/decline', 'authenticated', http(async (req, res) => {
    if (!(await removeInvitation(ctx.db, idParam(req.params.roomId), req.user!.id))) throw notFound("Cette invitation n'existe plus.");
    ctx.flash(req, 'success', 'Invitation refusée.');
    res.redirect(303, '/chat');
  }));

  // People found by name or e-mail, one button each: « Écrire » from /chat, « Inviter » from a group.
  // `already` names, instead of a button, those the action would not change (a group's members).
  async function peoplePage(
    req: Request,
    res: Response,
    page: { title: string; searchUrl: string; action: string; verb: string; back: { href: string; label: string }; already?: Map<number, string> },
  ) {
    const q = stringParam(req.query.q, 100).trim();
    const found = await findPeople(ctx, q, req.user!.id);
    const people = found.slice(0, PEOPLE_PAGE).map((p) => ({ ...p, already: page.already?.get(p.id) ?? null }));
    await ctx.views.page(req, res, 'people', { ...page, q, people, more: found.length > PEOPLE_PAGE });
  }

  router.get('/personnes', 'authenticated', http(async (req, res) => {
    await peoplePage(req, res, { title: 'Écrire à une personne', searchUrl: '/chat/personnes', action: '/chat/dm', verb: 'Écrire', back: { href: '/chat', label: 'Discussions' } });
  }));

  router.post('/dm', 'authenticated', http(async (req, res) => {
    const other = await chosenPerson(req.body);
    if (other.id === req.user!.id) throw new HttpError(422, 'Choisissez une autre personne que vous-même.', { field: 'email' });
    const roomId = await directRoom(ctx.db, req.user!.id, other.id);
    hub.joined(req.user!.id, roomId);
    hub.joined(other.id, roomId);
    // The other person's room list shows the conversation at once (public/chat.js).
    hub.roomAdded(other.id, { id: roomId, kind: 'dm', label: req.user!.displayName });
    res.redirect(303, `/chat/rooms/${roomId}`);
  }));

  // Suggestions after « @ » in the composer (public/js/maillon.js): members of the room only,
  // under the handle the chat recognises (mentions.ts).
  router.get('/rooms/:id/mentions', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.id);
    const access = await service.access(req.user!, roomId);
    if (!access.membership && !access.canModerate) throw notFound("Ce salon n'existe pas.");
    const typed = normalise(stringParam(req.query.q, 60).trim().replace(/^@/, ''));
    if (!typed) return void res.json({ people: [] });
    const members = await ctx.db
      .selectFrom('chat_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .leftJoin('departments as d', 'd.code', 'u.department_code')
      .select(['u.given_name', 'u.family_name', 'd.name as department'])
      .where('m.room_id', '=', roomId)
      .where('u.status', '=', 'active')
      .execute();
    const people = members
      .map((m) => ({ handle: mentionKey(m.given_name, m.family_name), name: `${m.given_name} ${m.family_name}`, department: m.department }))
      .filter((p) => p.handle.startsWith(typed) || p.handle.split('.')[1]?.startsWith(typed))
      .sort((a, b) => a.handle.localeCompare(b.handle))
      .slice(0, 8);
    res.json({ people });
  }));

  router.get('/rooms/:id', 'authenticated', http(async (req, res) => {
    const user = req.user!;
    const roomId = idParam(req.params.id);
    const access = await service.access(user, roomId);
    const before = req.query.before ? idParam(req.query.before) : undefined;
    const around = req.query.around && !before ? idParam(req.query.around) : undefined;
    const thread = req.query.thread ? idParam(req.query.thread) : undefined;
    const readable = access.membership !== null || access.canModerate;
    // Read before the page: a change made meanwhile is then caught up by the client, not lost.
    const changeId = readable ? await lastChange(ctx.db, roomId) : 0;
    const page = readable
      ? await historyPage(ctx.db, roomId, { before, around, thread, limit: ctx.settings.pageSize }, service.render, service.toText)
      : { messages: [], hasOlder: false };
    const lastReadId = access.membership?.lastReadId ?? 0;
    const firstUnread = page.messages.find((m) => m.id > lastReadId && m.author?.id !== user.id && !m.deleted)?.id ?? null;
    const lastShown = page.messages.at(-1)?.id;
    if (access.membership && lastShown && !before && !page.hasNewer && !thread) await markRead(ctx.db, roomId, user.id, lastShown);
    const members = readable ? await membersOf(ctx.db, roomId) : [];
    const invitees = access.room.kind === 'group' && access.membership?.role === 'owner' ? await pendingInvitees(ctx.db, roomId) : [];
    const replyTo = req.query.reply ? await messageById(ctx.db, idParam(req.query.reply), service.render, service.toText) : null;
    const label = access.room.kind === 'dm' ? (members.find((m) => m.userId !== user.id)?.name ?? 'Message direct') : access.room.name;
    await ctx.views.page(req, res, 'room', {
      title: access.room.kind === 'dm' ? `Conversation avec ${label}` : access.room.name,
      room: access.room, access, page, firstUnread, members, invitees, thread: thread ?? null, around: around ?? null,
      replyTo: replyTo && replyTo.roomId === roomId && !replyTo.deleted ? replyTo : null,
      clientId: newClientId(), maxChars, reactions: QUICK_REACTIONS, lastId: lastShown ?? 0, changeId, handles: handlesOf(user),
    });
  }));

  router.post('/rooms/:id/messages', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.id);
    const input = parseInput(
      z.object({
        body: bodyField,
        clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
        replyTo: z.coerce.number().int().positive().optional().or(z.literal('').transform(() => undefined)),
        view: z.literal('thread').optional(),
      }),
      req.body,
      { body: 'Message', clientId: 'Identifiant du message' },
    );
    await service.access(req.user!, roomId);
    const { message } = await service.send(req.user!, { roomId, clientId: input.clientId, body: input.body, replyTo: input.replyTo ?? null });
    if (req.accepts(['html', 'json']) === 'json') {
      res.status(201).json({ id: message.id, createdAt: message.createdAt });
      return;
    }
    // Back where the form was: a thread view stays in its thread; a reply from the room goes back
    // to the room, reply mode over (as in Element).
    res.redirect(303, `/chat/rooms/${roomId}${input.view === 'thread' && message.replyTo ? `?thread=${message.replyTo}` : ''}#m${message.id}`);
  }));

  router.get('/rooms/:id/search', 'authenticated', http(async (req, res) => {
    const roomId = idParam(req.params.id);
    const access = await service.access(req.user!, roomId);
    if (!access.membership && !access.canModerate) throw notFound();
    const q = ctx.search.cleanQuery(stringParam(req.query.q));
    const pageNo = req.query.page ? idParam(req.query.page) : 1;
    const matching = ctx.db
      .selectFrom('chat_messages as m')
      .where('m.room_id', '=', roomId)
      .where('m.deleted_at', 'is', null)
      .where(ctx.search.matches(sql.ref('m.search'), q));
    const [rows, count] = q
      ? await Promise.all([
          matching
            .leftJoin('users as u', 'u.id', 'm.author_id')
            .select(['m.id', 'm.created_at', 'u.given_name', 'u.family_name', ctx.search.rank(sql.ref('m.search'), q).as('rank'), ctx.search.headline(sql.ref('m.body'), q, { markdown: true }).as('excerpt')])
            .orderBy('rank', 'desc')
            .orderBy('m.id', 'desc')
            .limit(SEARCH_PAGE)
            .offset((pageNo - 1) * SEARCH_PAGE)
            .execute(),
          matching.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        ])
      : [[], { n: 0 }];
    const total = Number(count.n);
    const results = rows.map((r) => ({ id: Number(r.id), url: messageUrl(roomId, Number(r.id)), at: r.created_at, author: `${r.given_name ?? ''} ${r.family_name ?? ''}`.trim(), excerpt: ctx.search.headlineToHtml(r.excerpt) }));
    await ctx.views.page(req, res, 'search', {
      title: `Rechercher dans « ${access.room.name} »`, room: access.room, q: stringParam(req.query.q), results, total,
      first: (pageNo - 1) * SEARCH_PAGE + 1, page: pageNo, hasNext: pageNo * SEARCH_PAGE < total,
    });
  }));

  async function ownMessage(req: Request) {
    const meta = await messageMeta(ctx.db, idParam(req.params.id));
    if (!meta || meta.deleted || meta.authorId !== req.user!.id) throw notFound();
    return meta;
  }

  router.get('/messages/:id/edit', 'authenticated', http(async (req, res) => {
    const meta = await ownMessage(req);
    await ctx.views.page(req, res, 'edit', { title: 'Modifier mon message', meta, body: meta.body, error: null, maxChars });
  }));

  router.post('/messages/:id/edit', 'authenticated', http(async (req, res) => {
    const meta = await ownMessage(req);
    const body = typeof req.body?.body === 'string' ? req.body.body : '';
    const input = bodyField.safeParse(body);
    if (!input.success) {
      // The page comes back with what was typed and why, next to the field, as the other forms do.
      const error = body.trim() ? `Le message dépasse ${maxChars} caractères : raccourcissez-le.` : 'Le message est vide : écrivez un texte, ou supprimez le message depuis le salon.';
      return ctx.views.page(req, res, 'edit', { title: 'Modifier mon message', meta, body, error, maxChars }, 422);
    }
    await service.edit(req.user!, meta.id, input.data);
    res.redirect(303, `/chat/rooms/${meta.roomId}#m${meta.id}`);
  }));

  router.post('/messages/:id/delete', 'authenticated', http(async (req, res) => {
    const message = await service.remove(req.user!, idParam(req.params.id), req);
    ctx.flash(req, 'success', 'Message supprimé.');
    res.redirect(303, `/chat/rooms/${message.roomId}#m${message.id}`);
  }));

  router.post('/messages/:id/react', 'authenticated', http(async (req, res) => {
    const input = parseInput(z.object({ emoji: z.string().max(32).regex(EMOJI, 'un émoji attendu') }), req.body, { emoji: 'Réaction' });
    const message = await service.react(req.user!, idParam(req.params.id), input.emoji);
    res.redirect(303, `/chat/rooms/${message.roomId}#m${message.id}`);
  }));

  router.post('/messages/:id/report', 'authenticated', http(async (req, res) => {
    const id = idParam(req.params.id);
    const input = parseInput(z.object({ reason: z.string().trim().max(500).default('') }), req.body, { reason: 'Motif' });
    await service.report(req.user!, id, input.reason, req);
    const meta = (await messageMeta(ctx.db, id))!;
    ctx.flash(req, 'success', 'Merci : le message a été signalé aux modérateurs.');
    res.redirect(303, `/chat/rooms/${meta.roomId}#m${id}`);
  }));

  // Moderation by the room's owners and the DANE.
  async function moderated(req: Request) {
    const roomId = idParam(req.params.id);
    const access = await service.access(req.user!, roomId);
    if (!access.canModerate) throw new HttpError(403, 'Seuls les propriétaires du salon et la DANE peuvent le modérer.');
    return access;
  }

  router.post('/rooms/:id/lock', 'authenticated', http(async (req, res) => {
    const { room } = await moderated(req);
    const locked = req.body?.locked === '1' || req.body?.locked === 'true';
    await ctx.db.updateTable('chat_rooms').set({ locked }).where('id', '=', room.id).execute();
    await ctx.audit({ action: locked ? 'chat.room.lock' : 'chat.room.unlock', req, targetType: 'chat_room', targetId: room.id });
    hub.roomEvent(room.id, 'room', { roomId: room.id, locked });
    ctx.flash(req, 'success', locked ? 'Salon verrouillé : plus personne ne peut y écrire.' : 'Salon rouvert.');
    res.redirect(303, `/chat/rooms/${room.id}`);
  }));

  router.post('/rooms/:id/members/:userId/mute', 'authenticated', http(async (req, res) => {
    const { room } = await moderated(req);
    const userId = idParam(req.params.userId);
    const muted = req.body?.muted === '1' || req.body?.muted === 'true';
    const done = await ctx.db.updateTable('chat_members').set({ muted }).where('room_id', '=', room.id).where('user_id', '=', userId).executeTakeFirst();
    if (!Number(done.numUpdatedRows)) throw notFound("Cette personne n'est pas membre du salon.");
    await ctx.audit({ action: muted ? 'chat.member.mute' : 'chat.member.unmute', req, targetType: 'user', targetId: userId, details: { roomId: room.id } });
    // Their open page disables (or enables again) its composer at once, keeping what is typed.
    hub.membership(userId, room.id, { muted });
    ctx.flash(req, 'success', muted ? 'Membre mis en sourdine.' : 'Sourdine levée.');
    res.redirect(303, `/chat/rooms/${room.id}`);
  }));

  router.post('/rooms/:id/members/:userId/remove', 'authenticated', http(async (req, res) => {
    const { room } = await moderated(req);
    const userId = idParam(req.params.userId);
    if (room.kind === 'departement' || room.kind === 'academie' || room.kind === 'dm') {
      throw new HttpError(409, 'On ne retire personne de ce salon : mettez plutôt la personne en sourdine.');
    }
    await leaveRoom(ctx.db, room.id, userId);
    hub.left(userId, room.id);
    hub.memberChanged(room.id, { userId, joined: false });
    await ctx.audit({ action: 'chat.member.remove', req, targetType: 'user', targetId: userId, details: { roomId: room.id } });
    ctx.flash(req, 'success', 'Membre retiré du salon.');
    res.redirect(303, `/chat/rooms/${room.id}`);
  }));

  router.get('/moderation', 'chat:moderate', async (req, res) => {
    const reports = await ctx.db
      .selectFrom('chat_reports as rp')
      .innerJoin('chat_messages as m', 'm.id', 'rp.message_id')
      .innerJoin('chat_rooms as r', 'r.id', 'm.room_id')
      .leftJoin('users as a', 'a.id', 'm.author_id')
      .leftJoin('users as who', 'who.id', 'rp.reporter_id')
      .select(['rp.id', 'rp.reason', 'rp.created_at', 'm.id as message_id', 'm.body', 'r.id as room_id', 'r.name as room_name',
        sql<string>`concat_ws(' ', a.given_name, a.family_name)`.as('author'), sql<string>`concat_ws(' ', who.given_name, who.family_name)`.as('reporter')])
      .where('rp.resolved_at', 'is', null)
      .where('r.kind', 'not in', ['group', 'dm'])
      .orderBy('rp.created_at')
      .limit(200)
      .execute();
    await ctx.views.page(req, res, 'moderation', { title: 'Modération des discussions', reports: reports.map((r) => ({ ...r, html: service.render(r.body), url: messageUrl(r.room_id, Number(r.message_id)) })), retentionDays: ctx.settings.retentionDays });
  });

  router.post('/reports/:id/resolve', 'chat:moderate', http(async (req, res) => {
    const id = idParam(req.params.id);
    const input = parseInput(z.object({ outcome: z.enum(['removed', 'dismissed']) }), req.body, { outcome: 'Décision' });
    const report = await ctx.db.selectFrom('chat_reports').select(['message_id']).where('id', '=', id).executeTakeFirst();
    if (!report) throw notFound();
    // Removing settles the message's reports too (service.remove); one decision settles them all.
    if (input.outcome === 'removed') await service.remove(req.user!, Number(report.message_id), req);
    await service.settleReports(req.user!, Number(report.message_id), input.outcome, req);
    ctx.flash(req, 'success', input.outcome === 'removed' ? 'Message retiré.' : 'Signalement classé sans suite.');
    res.redirect(303, '/chat/moderation');
  }));
}
