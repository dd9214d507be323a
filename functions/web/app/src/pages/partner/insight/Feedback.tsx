import { useState } from 'preact/hooks';
import { api, can, unwrap, type Me, type Schemas } from '../../../api';
import {
  EmptyState,
  ErrorState,
  Form,
  Link,
  Loading,
  Pager,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  formatDateTime,
  formatNumber,
  toast,
  useCursorPages,
  useForm,
  type Tone,
} from '../../../ui';
import './dashboard.css';

type Feedback = Schemas['Feedback'];
type Summary = { nps: number | null; promoters: number; passives: number; detractors: number };

const NA = 'not available';

function scoreTone(score: number): Tone {
  return score >= 9 ? 'success' : score >= 7 ? 'warning' : 'danger';
}

function scoreGroup(score: number): string {
  return score >= 9 ? 'Promoter' : score >= 7 ? 'Passive' : 'Detractor';
}

function ReplyForm({ item, onSaved, onCancel }: { item: Feedback; onSaved: (f: Feedback) => void; onCancel: () => void }) {
  const form = useForm({
    initial: { reply: item.reply ?? '' },
    validate: (v) => ({ reply: v.reply.trim() ? undefined : 'Write a reply.' }),
    onSubmit: async (v) => {
      const saved = await unwrap(
        api.POST('/v1/feedback/{feedback_id}/reply', { params: { path: { feedback_id: item.id } }, body: { reply: v.reply.trim() } }),
      );
      onSaved(saved);
      toast.success('Your reply is published.');
    },
  });
  return (
    <Form form={form} class="stack" aria-label="Reply to this feedback">
      <TextAreaField form={form} name="reply" label="Reply" rows={3} maxLength={2000} hint="Shown publicly with the customer's answer." />
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Publishing…">
          Publish reply
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

function FeedbackItem({ item, mayReply, onSaved }: { item: Feedback; mayReply: boolean; onSaved: (f: Feedback) => void }) {
  const [editing, setEditing] = useState(false);
  return (
    <li>
      <p class="button-row">
        <StatusBadge status="score" tone={scoreTone(item.score)} label={`${item.score} / 10 · ${scoreGroup(item.score)}`} />
        <span class="muted small">{formatDateTime(item.responded_at)}</span>
        <Link href={`/app/leads/${encodeURIComponent(item.lead_id)}`} class="small">
          View lead
        </Link>
      </p>
      {item.comment ? <blockquote class="db-quote">{item.comment}</blockquote> : <p class="muted">No comment.</p>}
      {item.reply && !editing ? (
        <div class="db-quote">
          <p class="small muted">Your reply{item.replied_at ? `, ${formatDateTime(item.replied_at)}` : ''}:</p>
          <p>{item.reply}</p>
        </div>
      ) : null}
      {mayReply ? (
        editing ? (
          <ReplyForm
            item={item}
            onCancel={() => setEditing(false)}
            onSaved={(f) => {
              setEditing(false);
              onSaved(f);
            }}
          />
        ) : (
          <p>
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              {item.reply ? 'Edit reply' : 'Reply'}
            </button>
          </p>
        )
      ) : null}
    </li>
  );
}

export default function FeedbackPanel({ me, dashboard }: { me: Me; dashboard: Schemas['Dashboard'] }) {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [saved, setSaved] = useState<Record<string, Feedback>>({});
  const pages = useCursorPages(async (cursor) => {
    const res = await unwrap(api.GET('/v1/feedback', { params: { query: { cursor, limit: 10 } } }));
    setSummary({ nps: res.nps, promoters: res.promoters, passives: res.passives, detractors: res.detractors });
    return res;
  }, []);
  const mayReply = can(me, 'POST /v1/feedback/{feedback_id}/reply');
  const nps = summary ? summary.nps : dashboard.feedback.nps;
  const items = pages.items.map((f) => saved[f.id] ?? f);

  return (
    <div class="stack">
      <section class="card" aria-labelledby="fb-nps-h">
        <h2 id="fb-nps-h">Net Promoter Score</h2>
        <ul class="db-kpis">
          <li>
            <span class="db-kpi-label">NPS</span>
            <span class="db-kpi-value">{nps === null ? NA : formatNumber(nps, { maximumFractionDigits: 0 })}</span>
          </li>
          <li>
            <span class="db-kpi-label">Responses</span>
            <span class="db-kpi-value">{formatNumber(dashboard.feedback.responses)}</span>
          </li>
          <li>
            <span class="db-kpi-label">Promoters (9–10)</span>
            <span class="db-kpi-value">{summary ? formatNumber(summary.promoters) : NA}</span>
          </li>
          <li>
            <span class="db-kpi-label">Passives (7–8)</span>
            <span class="db-kpi-value">{summary ? formatNumber(summary.passives) : NA}</span>
          </li>
          <li>
            <span class="db-kpi-label">Detractors (0–6)</span>
            <span class="db-kpi-value">{summary ? formatNumber(summary.detractors) : NA}</span>
          </li>
        </ul>
      </section>
      <section class="card stack" aria-labelledby="fb-list-h">
        <h2 id="fb-list-h">Customer feedback</h2>
        {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} /> : null}
        {pages.loading && items.length === 0 ? (
          <Loading label="Loading feedback…" />
        ) : items.length === 0 && !pages.error ? (
          <EmptyState title="No feedback yet">
            <p>Customers of won leads are asked for their opinion by email; their answers appear here.</p>
          </EmptyState>
        ) : (
          <ul class="db-list" aria-busy={pages.loading ? 'true' : undefined}>
            {items.map((f) => (
              <FeedbackItem key={f.id} item={f} mayReply={mayReply} onSaved={(n) => setSaved((s) => ({ ...s, [n.id]: n }))} />
            ))}
          </ul>
        )}
        <Pager pages={pages} label="Feedback pages" />
      </section>
    </div>
  );
}
