import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { ROOT, csrfFrom } from '../support/testApp.js';

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

