//! The audit trail as operations read it: a partner's timeline (its partition's audit
//! entries, newest first) and the feed across partners (index `Feed`, newest first), both
//! one Query per page; internal notes are audit entries of their own.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::WorkspaceError;
use crate::audit::AuditEntry;
use crate::fault::{FieldError, Invalid};
use crate::store::{Failure, Filter, Index, Page, Query, Store, keys};
use crate::validate::{required, rfc3339, time_bound};

/// The longest internal note, in characters.
pub const NOTE_MAX_CHARS: usize = 4000;

/// The query of an activity listing as sent (`GET /v1/admin/activity` and a partner's
/// timeline).
#[derive(Debug, Default, Clone)]
pub struct ActivityQuery {
    pub partner_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Checked filters: `action` is an exact action (`lead.updated`) or, ending in `.` or
/// `*`, a prefix (`lead.`: every lead event).
#[derive(Debug, Default, Clone)]
pub struct ActivityFilters {
    pub partner_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub action_prefix: bool,
    from: Option<String>,
    to: Option<String>,
}

impl ActivityQuery {
    pub fn filters(self) -> Result<ActivityFilters, Invalid> {
        let mut e: Vec<FieldError> = Vec::new();
        let from = time_bound(&mut e, "from", self.from, false);
        let to = time_bound(&mut e, "to", self.to, true);
        if let (Some(f), Some(t)) = (&from, &to)
            && f > t
        {
            e.push(FieldError::new("to", "must not be before from"));
        }
        let action = self.action.filter(|a| !a.trim().is_empty());
        let action_prefix = action
            .as_deref()
            .is_some_and(|a| a.ends_with('.') || a.ends_with('*'));
        let partner_id = crate::validate::id_param(&mut e, "partner_id", self.partner_id);
        let actor = self.actor.filter(|a| !a.is_empty());
        if actor.as_ref().is_some_and(|a| a.len() > 200) {
            e.push(FieldError::new("actor", "is too long"));
        }
        if action.as_ref().is_some_and(|a| a.len() > 100) {
            e.push(FieldError::new("action", "is too long"));
        }
        Invalid::check(e, || ActivityFilters {
            partner_id,
            actor,
            action: action.map(|a| a.trim_end_matches('*').to_string()),
            action_prefix,
            from,
            to,
        })
    }
}

/// The ULID bound of a time: audit entry ids are ULIDs of when they were written, so a
/// time range is a sort-key range.
fn ulid_bound(time: &str, high: bool) -> String {
    let ms = DateTime::parse_from_rfc3339(time)
        .map(|t| t.timestamp_millis().max(0) as u64)
        .unwrap_or(0);
    let random = if high { (1u128 << 80) - 1 } else { 0 };
    ulid::Ulid::from_parts(ms, random).to_string()
}

fn filter_of(f: &ActivityFilters, partner_in_key: bool) -> Filter {
    let mut filter = Filter::new();
    if let Some(p) = f.partner_id.as_deref().filter(|_| !partner_in_key) {
        filter = filter.eq(&["partner_id"], p);
    }
    if let Some(a) = &f.actor {
        filter = filter.eq(&["actor"], a);
    }
    match (&f.action, f.action_prefix) {
        (Some(a), true) => filter = filter.begins_with(&["action"], a),
        (Some(a), false) => filter = filter.eq(&["action"], a),
        (None, _) => {}
    }
    filter
}

/// Narrows `q` to the time range, as a range of sort keys (`prefix` + ULID).
fn in_range(q: Query, f: &ActivityFilters, prefix: &str) -> Query {
    if f.from.is_none() && f.to.is_none() {
        return if prefix.is_empty() {
            q
        } else {
            q.prefix(prefix)
        };
    }
    let low = f.from.as_deref().map(|t| ulid_bound(t, false));
    let high = f.to.as_deref().map(|t| ulid_bound(t, true));
    q.between(
        format!("{prefix}{}", low.unwrap_or_else(|| "0".repeat(26))),
        format!("{prefix}{}", high.unwrap_or_else(|| "Z".repeat(26))),
    )
}

/// One page of activity, newest first: a partner's timeline (`partner_id` set: its
/// partition) or the feed across partners (index `Feed`). The time range is a sort-key
/// range; actor and action filter the page read (a page may hold fewer than `limit`).
pub async fn list(
    store: &Store,
    filters: &ActivityFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<AuditEntry>, WorkspaceError> {
    let q = match &filters.partner_id {
        Some(p) => in_range(
            Query::partition(None, keys::partner_partition(p), limit),
            filters,
            keys::AUDIT_PREFIX,
        ),
        None => in_range(
            Query::partition(Some(Index::Feed), keys::AUDIT_FEED, limit),
            filters,
            "",
        ),
    };
    let q = q
        .newest_first()
        .filter(filter_of(filters, filters.partner_id.is_some()));
    Ok(store.query(&q, cursor).await?)
}

/// An activity entry as operations see it.
pub fn view(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "partner_id": e.partner_id,
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "before": e.before,
        "after": e.after,
        "at": e.at,
    })
}

/// A page of activity as operations see it.
pub fn page_view(page: &Page<AuditEntry>) -> Value {
    json!({
        "items": page.items.iter().map(view).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}

/// `POST /v1/admin/partners/{partner_id}/notes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// An internal note on the partner's timeline: one transaction that also checks the
/// partner exists (404 otherwise).
pub async fn add_note(
    store: &Store,
    actor: &str,
    partner_id: &str,
    req: NewNote,
    now: DateTime<Utc>,
) -> Result<AuditEntry, WorkspaceError> {
    let mut e = Vec::new();
    let text = required(&mut e, "/text", &req.text, NOTE_MAX_CHARS);
    let text = Invalid::check(e, || text)?;
    let note = AuditEntry::new(
        Some(partner_id),
        actor,
        "note.added",
        format!("partner:{partner_id}"),
        &rfc3339(now),
    )
    .change(Value::Null, json!({"text": text}));
    let tx = store
        .tx()
        .require(
            &keys::partner(partner_id),
            Failure::Missing { what: "partner" },
        )
        .insert(&note)
        .build();
    store.commit(tx).await?;
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_range_is_a_range_of_entry_ids() {
        let at = "2026-05-01T10:00:00.000Z";
        let id = ulid::Ulid::from_parts(
            DateTime::parse_from_rfc3339(at).unwrap().timestamp_millis() as u64,
            12345,
        )
        .to_string();
        assert!(ulid_bound(at, false) <= id && id <= ulid_bound(at, true));
        assert!(ulid_bound("2026-05-01T10:00:00.001Z", false) > id);
        assert!(ulid_bound("2026-05-01T09:59:59.999Z", true) < id);
    }

    #[test]
    fn an_action_ending_in_a_dot_or_star_is_a_prefix() {
        let f = ActivityQuery {
            action: Some("lead.*".into()),
            ..Default::default()
        }
        .filters()
        .unwrap();
        assert_eq!(
            (f.action.as_deref(), f.action_prefix),
            (Some("lead."), true)
        );
        let f = ActivityQuery {
            action: Some("lead.created".into()),
            ..Default::default()
        }
        .filters()
        .unwrap();
        assert!(!f.action_prefix);
        assert!(
            ActivityQuery {
                from: Some("2026-02-01".into()),
                to: Some("2026-01-01".into()),
                ..Default::default()
            }
            .filters()
            .is_err()
        );
    }
}
