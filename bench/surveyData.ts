import { sql } from 'kysely';
import type { DB } from '../server/db/schema.js';
import { tallyRebuilder } from '../plugins/survey/surveys.js';

/** Kind of question n (1-based): a repeating pattern of ten. */
const KIND_SQL = `(array['yesno','multiple','single','scale','yesno','single','scale','multiple','single','text'])[1 + (n - 1) % 10]`;

/** 3,000 RUPNs of Poitiers and their answers to a survey of 40 questions, written by SQL. */
export async function seedSurvey(db: DB, answers: number, questions: number): Promise<{ surveyId: number; answerRows: number; ms: number }> {
  const started = performance.now();
  await sql`
    with new_users as (
      insert into users (email, given_name, family_name, academy_code, department_code)
      select 'repondant' || g || '@ac-poitiers.example', 'Prénom' || g, 'Nom' || g, 'poitiers', (array['16','17','79','86'])[1 + g % 4]
      from generate_series(1, ${answers}::int) g
      returning id
    )
    insert into user_roles (user_id, role) select id, 'rupn' from new_users`.execute(db);
  const { id: surveyId } = await db
    .insertInto('survey_surveys')
    .values({ title: 'Bilan mesuré', academy_code: 'poitiers', anonymous: true, opens_at: new Date(Date.now() - 86_400_000), closes_at: new Date(Date.now() + 30 * 86_400_000), secret: 'bench' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`
    insert into survey_questions (survey_id, position, kind, label, required, options, scale_max, statement)
    select ${surveyId}, n, k.kind, 'Question mesurée ' || n, k.kind = 'yesno',
           case k.kind when 'single' then '["Réponse A","Réponse B","Réponse C","Réponse D"]'::jsonb
                       when 'multiple' then '["Courriel","Réunions","ENT","Affichage","Messagerie"]'::jsonb
                       when 'scale' then '["Jamais","Toujours"]'::jsonb else '[]'::jsonb end,
           case when k.kind = 'scale' then 5 end,
           case when k.kind = 'yesno' then 'disent y parvenir' else '' end
    from generate_series(1, ${questions}::int) n
    cross join lateral (select ${sql.raw(KIND_SQL)} as kind) k`.execute(db);
  // Each multiple choice is shown when the yes/no just before it got « Oui ».
  await sql`
    update survey_questions q set show_if_question = p.id, show_if_value = 1
    from survey_questions p
    where q.survey_id = ${surveyId} and p.survey_id = q.survey_id and q.kind = 'multiple' and p.kind = 'yesno' and p.position = q.position - 1`.execute(db);
  await sql`
    insert into survey_participations (survey_id, user_id, answered_on)
    select ${surveyId}, u.id, current_date from users u where u.email like 'repondant%'`.execute(db);
  await sql`
    insert into survey_responses (survey_id, respondent_key, user_id, department_code, submitted_on)
    select ${surveyId}, md5('cle' || u.id), null, u.department_code, current_date from users u where u.email like 'repondant%'`.execute(db);
  // Single values: yes/no (about 70 % yes), choices, scales.
  await sql`
    insert into survey_answers (survey_id, respondent_key, question_id, value)
    select r.survey_id, r.respondent_key, q.id,
           case q.kind when 'yesno' then (abs(hashtext(r.respondent_key || q.id)) % 10 < 7)::int
                       when 'single' then abs(hashtext(r.respondent_key || q.id)) % 4
                       else 1 + abs(hashtext(r.respondent_key || q.id)) % 5 end
    from survey_responses r join survey_questions q on q.survey_id = r.survey_id
    where r.survey_id = ${surveyId} and q.kind in ('yesno', 'single', 'scale')`.execute(db);
  // Multiple choices, only for those who said « Oui » just before: about two options each.
  await sql`
    insert into survey_answers (survey_id, respondent_key, question_id, value)
    select a.survey_id, a.respondent_key, q.id, o
    from survey_questions q
    join survey_answers a on a.question_id = q.show_if_question and a.value = 1
    cross join generate_series(0, 4) o
    where q.survey_id = ${surveyId} and q.kind = 'multiple' and abs(hashtext(a.respondent_key || q.id || o)) % 5 < 2`.execute(db);
  // Free texts: one respondent in three writes something.
  await sql`
    insert into survey_answers (survey_id, respondent_key, question_id, text)
    select r.survey_id, r.respondent_key, q.id, 'Réponse libre ' || left(r.respondent_key, 8) || ' : davantage de temps pour accompagner les collègues.'
    from survey_responses r join survey_questions q on q.survey_id = r.survey_id
    where r.survey_id = ${surveyId} and q.kind = 'text' and abs(hashtext(r.respondent_key || q.id)) % 3 = 0`.execute(db);
  // The running totals that saving a response keeps up to date, computed once for the bulk load.
  await db.transaction().execute((trx) => tallyRebuilder(trx, surveyId));
  await sql`analyze`.execute(db);
  const rows = (await sql<{ n: number }>`select count(*)::int as n from survey_answers where survey_id = ${surveyId}`.execute(db)).rows[0]!.n;
  return { surveyId, answerRows: rows, ms: Math.round(performance.now() - started) };
}

