import { randomUUID } from 'node:crypto';
import type { CoreServices } from '../../server/services.js';
import type { Role } from '../../server/auth/roles.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { DEMO_PROVIDER } from '../../server/demo/demoData.js';
import { departmentOfUai } from '../../server/geography/geography.js';

/** Builds an account, and the establishment it needs; `key` logs it in through the development login. */
export async function buildUser(
  core: CoreServices,
  overrides: { key?: string; givenName?: string; familyName?: string; email?: string; roles?: Role[]; uai?: string | null; departmentCode?: string } = {},
): Promise<SessionUser & { key: string }> {
  const key = overrides.key ?? `user-${randomUUID().slice(0, 8)}`;
  const uai = overrides.uai === undefined ? await buildEstablishment(core) : overrides.uai;
  const user = await core.users.create(
    {
      email: overrides.email ?? `${key}@ac-test.example`,
      givenName: overrides.givenName ?? 'Camille',
      familyName: overrides.familyName ?? key,
      roles: overrides.roles ?? ['rupn'],
      establishments: uai ? [{ uai, function: 'ENS', isPrimary: true }] : [],
      departmentCode: overrides.departmentCode,
      identity: { provider: DEMO_PROVIDER, subject: key },
    },
    'test',
  );
  return { ...user, key };
}

let sequence = 0;
export async function buildEstablishment(
  core: CoreServices,
  overrides: { uai?: string; name?: string; departmentCode?: string } = {},
): Promise<string> {
  const dept = overrides.departmentCode ?? '86';
  const prefix = dept.length === 3 ? dept : `0${dept}`;
  const uai = overrides.uai ?? `${prefix}${String(9000 + (sequence++ % 999)).padStart(4, '0')}${'ABCDEFGHJKLMNPRSTUVWXYZ'[sequence % 23]}`;
  await core.db
    .insertInto('establishments')
    .values({ uai, name: overrides.name ?? `Collège d'essai ${uai}`, kind: 'college', city: 'Poitiers', department_code: departmentOfUai(uai)?.code ?? dept })
    .onConflict((oc) => oc.column('uai').doNothing())
    .execute();
  return uai;
}

/** A 1×1 PNG, for upload tests. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
