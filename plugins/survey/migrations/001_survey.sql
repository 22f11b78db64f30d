-- The yearly survey (« bilan annuel »): questionnaires built by the DANE, answered by the RUPNs of
-- an académie. Who has answered (participations) is kept apart from what was answered
-- (responses + answers): an anonymous response carries no user id, only a respondent key that
-- the server derives from the person and the survey's secret, and the département for the
-- breakdown. Dates on the anonymous side are days, never instants, so that the two sides cannot
-- be matched by time.

create table survey_surveys (
  id integer generated always as identity primary key,
  title text not null,
  intro text not null default '',
  academy_code text not null references academies (code),
  anonymous boolean not null default false,
  opens_at timestamptz not null,
  closes_at timestamptz not null,
  -- Key of the respondent HMAC; never shown on any page.
  secret text not null,
  created_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (closes_at > opens_at)
);
create index survey_surveys_open on survey_surveys (academy_code, closes_at);

create table survey_questions (
  id integer generated always as identity primary key,
  survey_id integer not null references survey_surveys (id) on delete cascade,
  position integer not null,
  kind text not null check (kind in ('single', 'multiple', 'scale', 'yesno', 'text')),
  label text not null,
  help text not null default '',
  required boolean not null default false,
  -- Choice labels (single, multiple) or the two end labels of a scale.
  options jsonb not null default '[]',
  scale_max integer check (scale_max between 2 and 10),
  -- How the report phrases the share (« disent y parvenir ») for yes/no and scales.
  statement text not null default '',
  -- Shown only when an earlier question got this value (choice index, 1/0 for yes/no, scale point).
  show_if_question integer references survey_questions (id) on delete set null,
  show_if_value integer,
  check ((show_if_question is null) = (show_if_value is null))
);
create index survey_questions_survey on survey_questions (survey_id, position);

-- Who is concerned and has answered or been reminded: never linked to the answers themselves.
create table survey_participations (
  survey_id integer not null references survey_surveys (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  answered_on date,
  reminded_on date,
  primary key (survey_id, user_id)
);

-- One response per person and survey: the respondent key is HMAC(secret, survey:user).
create table survey_responses (
  survey_id integer not null references survey_surveys (id) on delete cascade,
  respondent_key text not null,
  -- Null when the survey is anonymous.
  user_id integer references users (id) on delete set null,
  department_code text references departments (code),
  submitted_on date not null default current_date,
  primary key (survey_id, respondent_key)
);
create unique index survey_responses_user on survey_responses (survey_id, user_id);

-- One row per answer value: a multiple choice gives one row per option ticked, so that every
-- figure of the report is a GROUP BY.
create table survey_answers (
  survey_id integer not null,
  respondent_key text not null,
  question_id integer not null references survey_questions (id) on delete cascade,
  value integer,
  text text,
  foreign key (survey_id, respondent_key) references survey_responses (survey_id, respondent_key) on delete cascade
);
create index survey_answers_question on survey_answers (survey_id, question_id, value);
create index survey_answers_response on survey_answers (survey_id, respondent_key);
create index survey_answers_texts on survey_answers (survey_id, question_id, respondent_key) where text is not null;

-- Running totals of the report, changed in the transaction that saves a response, so that the
-- report reads a few hundred rows whatever the number of answers. Per question, département
-- ('' when unknown) and value; value -1 counts the people who answered the question.
create table survey_tallies (
  survey_id integer not null references survey_surveys (id) on delete cascade,
  question_id integer not null references survey_questions (id) on delete cascade,
  department_code text not null,
  value integer not null,
  n integer not null,
  primary key (survey_id, question_id, department_code, value)
);
