import type { Role } from './roles.js';

/** The user as every request sees it: loaded once per request, with places and roles resolved. */
export interface SessionUser {
  id: number;
  email: string;
  givenName: string;
  familyName: string;
  displayName: string;
  roles: Role[];
  academy: { code: string; name: string } | null;
  department: { code: string; name: string } | null;
  establishments: UserEstablishment[];
}

export interface UserEstablishment {
  uai: string;
  name: string;
  city: string;
  departmentCode: string;
  function: string | null;
  isPrimary: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends SessionUser {}
  }
}
