import { expect } from 'chai';
import { pino } from 'pino';
import { HookBus, action, filter, type HookFailure } from './hooks.js';

describe('HookBus', () => {
  const log = pino({ level: 'silent' });

  it('runs filters by priority, then in registration order', async () => {
    const bus = new HookBus(log);
    const seen: string[] = [];
    const nav = (label: string) => ({ id: label, label, href: '/', order: 0 });
    bus.register('b', filter('layout:nav', (items) => (seen.push('b20'), [...items, nav('b20')]), 20));
    bus.register('a', filter('layout:nav', (items) => (seen.push('a10'), [...items, nav('a10')])));
    bus.register('c', filter('layout:nav', (items) => (seen.push('c10'), [...items, nav('c10')])));
    bus.register('d', filter('layout:nav', (items) => (seen.push('d1'), [...items, nav('d1')]), 1));
    const result = await bus.applyFilters('layout:nav', [], { user: null, path: '/' });
    expect(seen).to.deep.equal(['d1', 'a10', 'c10', 'b20']);
    expect(result.map((i) => i.id)).to.deep.equal(['d1', 'a10', 'c10', 'b20']);
  });

  it('skips a throwing filter, keeps the value and reports the owner', async () => {
    const failures: HookFailure[] = [];
    const bus = new HookBus(log, (f) => failures.push(f));
    bus.register('ok', filter('layout:nav', (items) => [...items, { id: 'x', label: 'x', href: '/x', order: 1 }]));
    bus.register('broken', filter('layout:nav', () => {
      throw new Error('cassé');
    }));
    bus.register('forgetful', filter('layout:nav', () => undefined as never));
    const result = await bus.applyFilters('layout:nav', [], { user: null, path: '/' });
    expect(result).to.have.length(1);
    expect(failures.map((f) => f.owner)).to.deep.equal(['broken', 'forgetful']);
    expect(failures[0]!.message).to.equal('cassé');
  });

  it('tells every action listener even when one throws', async () => {
    const failures: HookFailure[] = [];
    const bus = new HookBus(log, (f) => failures.push(f));
    const told: number[] = [];
    bus.register('a', action('user:loggedOut', ({ userId }) => void told.push(userId)));
    bus.register('b', action('user:loggedOut', async () => {
      throw new Error('oups');
    }));
    bus.register('c', action('user:loggedOut', ({ userId }) => void told.push(userId * 10)));
    await bus.doAction('user:loggedOut', { userId: 4 });
    expect(told).to.deep.equal([4, 40]);
    expect(failures).to.have.length(1);
    expect(failures[0]!.hook).to.equal('user:loggedOut');
  });

  it('forgets an owner entirely', async () => {
    const bus = new HookBus(log);
    let calls = 0;
    bus.register('gone', action('app:started', () => void calls++));
    bus.unregisterOwner('gone');
    await bus.doAction('app:started', {});
    expect(calls).to.equal(0);
  });
});
