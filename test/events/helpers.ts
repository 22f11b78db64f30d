import type supertest from 'supertest';
import { expect } from 'chai';
import { csrfFrom, type TestApp } from '../support/testApp.js';
import { toParisLocal } from '../../plugins/events/time.js';

const HOUR = 3600_000;

/** A `datetime-local` value (Paris time) some hours from now, on the minute. */
export function parisIn(hours: number): string {
  return toParisLocal(new Date(Math.floor((Date.now() + hours * HOUR) / 60_000) * 60_000));
}

export function eventFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    title: 'Webinaire : le GAR en pratique',
    description: 'Découvrir le **GAR** pas à pas.',
    kind: 'webinaire',
    startsAt: parisIn(48),
    endsAt: parisIn(49),
    audienceKind: 'departement',
    audienceDepartment: '86',
    audienceAcademy: '',
    audienceUai: '',
    audienceRole: '',
    capacity: '',
    place: '',
    visioKind: 'bigbluebutton',
    visioUrl: 'https://bbb.example.org/rooms/gar',
    opensAt: '',
    closesAt: '',
    ...overrides,
  };
}

/** Posts the event form as its page would; returns the response. */
export async function postEvent(client: supertest.Agent, fields: Record<string, string>, action = '/events/nouveau') {
  const formPage = await client.get(action === '/events/nouveau' ? action : action).expect(200);
  return client.post(action).type('form').send({ _csrf: csrfFrom(formPage.text), ...fields });
}

/** Creates an event and returns its id. */
export async function createEvent(client: supertest.Agent, overrides: Record<string, string> = {}): Promise<number> {
  const res = await postEvent(client, eventFields(overrides));
  expect(res.status, res.text.slice(0, 2000)).to.equal(303);
  return Number(/\/events\/(\d+)$/.exec(res.headers.location!)![1]);
}

/** Posts a form of a page (the page gives the CSRF token). */
export async function postFrom(client: supertest.Agent, pageUrl: string, action: string, fields: Record<string, string | string[]> = {}) {
  const page = await client.get(pageUrl).expect(200);
  return client.post(action).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

export async function userIdOf(t: TestApp, key: string): Promise<number> {
  return (await t.maillon.core.users.byIdentity('demo', key))!.id;
}
