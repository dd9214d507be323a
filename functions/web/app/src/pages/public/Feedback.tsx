import { api, unwrap } from '../../api';
import { Alert, Form, Page, RadioGroupField, SubmitButton, TextAreaField, useForm, type RouteProps } from '../../ui';

const SCORES = Array.from({ length: 11 }, (_, i) => ({ value: String(i), label: String(i) }));

const FINAL: Record<string, { title: string; text: string }> = {
  survey_not_found: { title: 'This survey link is not valid', text: 'The link may have been copied incompletely.' },
  survey_expired: { title: 'This survey has closed', text: 'Survey links can be answered for 30 days.' },
  survey_answered: { title: 'Already answered', text: 'This survey has already been answered. Thank you!' },
};

function finalState(status: number | undefined, code: string | undefined) {
  if (code && FINAL[code]) return FINAL[code];
  if (status === 404) return FINAL.survey_not_found;
  if (status === 410) return FINAL.survey_expired;
  if (status === 409) return FINAL.survey_answered;
  return undefined;
}

export default function Feedback({ params }: RouteProps) {
  const token = params.token ?? '';
  const form = useForm({
    initial: { score: '', comment: '' },
    validate: (v) => (v.score === '' ? { score: 'Choose a score from 0 to 10.' } : {}),
    onSubmit: (v) =>
      unwrap(
        api.POST('/v1/public/feedback/{token}', {
          params: { path: { token } },
          body: { score: Number(v.score), comment: v.comment.trim() || null },
        }),
      ),
  });

  if (form.succeeded) {
    return (
      <Page title="Thank you" narrow>
        <div class="card" role="status">
          <p>Thank you for your feedback. It helps our partners serve you better.</p>
        </div>
      </Page>
    );
  }
  const final = form.problem ? finalState(form.problem.status, form.problem.code) : undefined;
  if (final) {
    return (
      <Page title={final.title} narrow>
        <Alert tone={form.problem?.status === 409 ? 'info' : 'error'}>{final.text}</Alert>
      </Page>
    );
  }
  return (
    <Page title="How did we do?" narrow lead="Your answer takes a minute and goes to the partner who helped you.">
      <Form form={form} class="card stack">
        <RadioGroupField
          form={form}
          name="score"
          label="How likely are you to recommend this partner to a friend or colleague?"
          hint="0 means not at all likely, 10 means extremely likely."
          options={SCORES}
          inline
          required
        />
        <TextAreaField form={form} name="comment" label="What is the main reason for your score?" optional maxLength={2000} rows={5} />
        <SubmitButton form={form} busyLabel="Sending…">
          Send feedback
        </SubmitButton>
      </Form>
    </Page>
  );
}
