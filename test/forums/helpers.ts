import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom, startTestApp, type TestApp } from '../support/testApp.js';

/** Forums tests: helpers that drive the forms as a person would. */
export const FORUMS = [path.join(ROOT, 'plugins', 'forums')];

/** The CSRF token of the form whose action is `action` (pages carry several forms). */
export function tokenOf(html: string): string {
  return csrfFrom(html);
}

export async function post(client: supertest.Agent, pageUrl: string, action: string, fields: Record<string, string>) {
  const page = await client.get(pageUrl);
  return client.post(action).type('form').send({ _csrf: tokenOf(page.text), ...fields });
}

export async function newTopic(client: supertest.Agent, category: string, fields: { title: string; body: string; isQuestion?: boolean }) {
  const res = await post(client, `/forums/c/${category}/nouveau`, `/forums/c/${category}/nouveau`, {
    title: fields.title,
    body: fields.body,
    ...(fields.isQuestion ? { isQuestion: 'on' } : {}),
  });
  expect(res.status, res.text.slice(0, 500)).to.equal(303);
  return Number(/\/forums\/t\/(\d+)/.exec(res.headers.location!)![1]);
}

export async function replyTo(client: supertest.Agent, topicId: number, body: string) {
  return post(client, `/forums/t/${topicId}`, `/forums/t/${topicId}/reponses`, { body });
}


/** A forums app and three of its demo people: Karim (RUPN), Pauline (new RUPN), Claire (DANE). */
export async function forumsWithPeople(): Promise<{ t: TestApp; karim: supertest.Agent; pauline: supertest.Agent; claire: supertest.Agent }> {
  const t = await startTestApp({ pluginDirs: FORUMS, env: { JOBS_RUNNER: 'false', PLUGIN_FORUMS_POSTS_PER_MINUTE: '1000' } });
  return { t, karim: await t.loginAs('rupn'), pauline: await t.loginAs('nouvelle-rupn'), claire: await t.loginAs('dane') };
}

export async function lastPostId(t: TestApp, topicId: number): Promise<number> {
  return (await t.maillon.core.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topicId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id;
}
