import type { ColumnType, Generated } from 'kysely';

/** The events plugin's tables (migrations/001_events.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export const EVENT_KINDS = ['webinaire', 'atelier', 'regroupement', 'cafe'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
export const AUDIENCE_KINDS = ['academie', 'departement', 'etablissement'] as const;
export type AudienceKind = (typeof AUDIENCE_KINDS)[number];
export const VISIO_KINDS = ['classe-virtuelle', 'bigbluebutton', 'jitsi', 'autre'] as const;
export type VisioKind = (typeof VISIO_KINDS)[number];
export type RegistrationState = 'registered' | 'waiting';

export const KIND_LABELS: Record<EventKind, string> = {
  webinaire: 'Webinaire',
  atelier: 'Atelier',
  regroupement: 'Regroupement',
  cafe: 'Café numérique',
};
export const VISIO_LABELS: Record<VisioKind, string> = {
  'classe-virtuelle': 'Classe virtuelle',
  bigbluebutton: 'BigBlueButton',
  jitsi: 'Jitsi',
  autre: 'Autre outil de visioconférence',
};

declare module '../../server/db/schema.js' {
  interface Schema {
    events: {
      id: Generated<number>;
      title: string;
      description: string;
      kind: EventKind;
      starts_at: Timestamp;
      ends_at: Timestamp;
      audience_kind: AudienceKind;
      audience_code: string;
      audience_role: string | null;
      capacity: number | null;
      place: string;
      visio_kind: VisioKind | null;
      visio_url: string | null;
      registration_opens_at: Date | null;
      registration_closes_at: Date | null;
      status: ColumnType<'scheduled' | 'cancelled', 'scheduled' | 'cancelled' | undefined, 'scheduled' | 'cancelled'>;
      cancellation_message: Generated<string>;
      sequence: ColumnType<number, number | undefined, number>;
      replay_url: string | null;
      organiser_id: number | null;
      created_at: Timestamp;
      updated_at: Timestamp;
    };
    event_registrations: {
      event_id: number;
      user_id: number;
      state: RegistrationState;
      registered_at: Timestamp;
      promoted_at: Date | null;
      attended: boolean | null;
      reminded_day_at: Date | null;
      reminded_hour_at: Date | null;
    };
    event_documents: {
      event_id: number;
      file_id: string;
      title: string;
      added_at: Timestamp;
    };
    event_feeds: {
      user_id: number;
      token: string;
      created_at: Timestamp;
    };
  }
}
