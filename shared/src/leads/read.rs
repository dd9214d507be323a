//! Reading leads: one, a filtered page, a lead's history and activities.

use super::*;

/// `GET /v1/leads/{id}`: one read.
pub async fn get(store: &Store, principal: &Principal, lead_id: &str) -> Result<Lead, LeadError> {
    own_lead(store, principal, lead_id).await
}

/// The query of `GET /v1/leads` as sent: each parameter's value, when present.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub status: Option<String>,
    pub stage: Option<String>,
    pub follow_up: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub assigned_to: Option<String>,
    pub q: Option<String>,
}

impl ListQuery {
    /// The filters it asks for, or a 400 naming every parameter that is not one.
    /// `created_from` and `created_to` are RFC 3339 times, compared in UTC.
    pub fn filters(self) -> Result<ListFilters, Invalid> {
        let mut e = Vec::new();
        let status = self.status.and_then(|s| {
            serde_json::from_value(Value::String(s))
                .map_err(|_| e.push(FieldError::new("status", "is not a lead status")))
                .ok()
        });
        let overdue = match self.follow_up.as_deref() {
            None => false,
            Some("overdue") => true,
            Some(_) => {
                e.push(FieldError::new("follow_up", "must be overdue"));
                false
            }
        };
        let mut time = |name: &str, v: Option<String>| {
            v.and_then(|raw| match DateTime::parse_from_rfc3339(&raw) {
                Ok(t) => Some(rfc3339(t.with_timezone(&Utc))),
                Err(_) => {
                    e.push(FieldError::new(name, "must be an RFC 3339 time"));
                    None
                }
            })
        };
        let created_from = time("created_from", self.created_from);
        let created_to = time("created_to", self.created_to);
        Invalid::check(e, || ListFilters {
            status,
            stage: self.stage,
            overdue,
            created_from,
            created_to,
            assigned_to: self.assigned_to,
            q: self.q,
        })
    }
}

#[derive(Debug, Default, Clone)]
pub struct ListFilters {
    pub status: Option<LeadStatus>,
    pub stage: Option<String>,
    pub overdue: bool,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub assigned_to: Option<String>,
    pub q: Option<String>,
}

/// `GET /v1/leads`: one Query per page, newest first. `status` reads the status index,
/// `follow_up=overdue` the follow-up index (due before now); the other filters (and a
/// sales user's own-leads rule) run server-side on the page read, so `q` costs what the
/// page reads, not the partner's whole pipeline.
pub async fn list(
    store: &Store,
    principal: &Principal,
    f: &ListFilters,
    limit: i32,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Page<Lead>, LeadError> {
    let partner_id = principal.partner_id()?;
    let mut query = if f.overdue {
        Query::partition(Some(Index::Due), follow_up_partition(partner_id), limit)
            .below(rfc3339(now))
    } else if let Some(s) = f.status {
        Query::partition(
            Some(Index::ByState),
            by_status_partition(partner_id, s),
            limit,
        )
        .newest_first()
    } else {
        Query::partition(None, keys::partner_partition(partner_id), limit)
            .prefix(keys::LEAD_PREFIX)
            .newest_first()
    };
    let mut filter = Filter::new();
    if let (true, Some(s)) = (f.overdue, f.status) {
        filter = filter.eq(&["status"], s.as_str());
    }
    if let Some(stage) = &f.stage {
        filter = filter.eq(&["stage"], stage);
    }
    if let Some(a) = &f.assigned_to {
        filter = filter.eq(&["assigned_to"], a);
    }
    if let Some(from) = &f.created_from {
        filter = filter.at_least(&["created_at"], from);
    }
    if let Some(to) = &f.created_to {
        filter = filter.at_most(&["created_at"], to);
    }
    if let Some(q) = &f.q {
        filter = filter.contains_any(&[&["search_text"]], &q.to_lowercase());
    }
    if principal.role == Role::Sales {
        filter = filter.any_eq(&[&["created_by"], &["assigned_to"]], &principal.user_id);
    }
    query = query.filter(filter);
    Ok(store.query(&query, cursor).await?)
}

/// A lead by its id alone, whoever's it is (operations and the CRM): one Query of the
/// lookup index.
pub async fn find(store: &Store, lead_id: &str) -> Result<Option<Lead>, StoreError> {
    let found: Vec<Lead> = store
        .query_up_to(&Query::partition(
            Some(Index::Lookup),
            keys::lead_lookup(lead_id).pk,
            1,
        ))
        .await?;
    Ok(found.into_iter().next())
}

/// The query of `GET /v1/admin/leads` (the lead pool across partners) as sent.
#[derive(Debug, Default, Clone)]
pub struct PoolQuery {
    pub partner_id: Option<String>,
    pub status: Option<String>,
    pub unassigned: Option<String>,
    pub q: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct PoolFilters {
    pub partner_id: Option<String>,
    pub status: Option<LeadStatus>,
    /// Only leads nobody at the partner is assigned to.
    pub unassigned: bool,
    pub q: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
}

impl PoolQuery {
    pub fn filters(self) -> Result<PoolFilters, Invalid> {
        let mut e = Vec::new();
        let status = self.status.and_then(|s| {
            serde_json::from_value(Value::String(s))
                .map_err(|_| e.push(FieldError::new("status", "is not a lead status")))
                .ok()
        });
        let unassigned = match self.unassigned.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                e.push(FieldError::new("unassigned", "must be true or false"));
                false
            }
        };
        let created_from =
            crate::validate::time_bound(&mut e, "created_from", self.created_from, false);
        let created_to = crate::validate::time_bound(&mut e, "created_to", self.created_to, true);
        if let (Some(f), Some(t)) = (&created_from, &created_to)
            && f > t
        {
            e.push(FieldError::new(
                "created_to",
                "must not be before created_from",
            ));
        }
        let partner_id = crate::validate::id_param(&mut e, "partner_id", self.partner_id);
        Invalid::check(e, || PoolFilters {
            partner_id,
            status,
            unassigned,
            q: self.q.filter(|q| !q.trim().is_empty()),
            created_from,
            created_to,
        })
    }
}

/// `GET /v1/admin/leads`: one Query page, newest first. A partner and a status read that
/// partner's status index; a partner alone its partition; otherwise the pool index across
/// partners, the creation range as a sort-key range. The other filters run on the page
/// read (a page may hold fewer than `limit`).
pub async fn pool(
    store: &Store,
    f: &PoolFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Lead>, LeadError> {
    let (query, partner_in_key, status_in_key) = match (&f.partner_id, f.status) {
        (Some(p), Some(s)) => (
            Query::partition(Some(Index::ByState), by_status_partition(p, s), limit),
            true,
            true,
        ),
        (Some(p), None) => (
            Query::partition(None, keys::partner_partition(p), limit).prefix(keys::LEAD_PREFIX),
            true,
            false,
        ),
        (None, _) => {
            let q = Query::partition(Some(Index::Feed), keys::LEADS_FEED, limit);
            let q = if f.created_from.is_some() || f.created_to.is_some() {
                q.between(
                    f.created_from.clone().unwrap_or_else(|| "0000".into()),
                    format!("{}~", f.created_to.as_deref().unwrap_or("9999")),
                )
            } else {
                q
            };
            (q, false, false)
        }
    };
    let mut filter = Filter::new();
    if let Some(p) = f.partner_id.as_deref().filter(|_| !partner_in_key) {
        filter = filter.eq(&["partner_id"], p);
    }
    if let Some(s) = f.status.filter(|_| !status_in_key) {
        filter = filter.eq(&["status"], s.as_str());
    }
    if f.unassigned {
        filter = filter.missing(&["assigned_to"]);
    }
    if partner_in_key {
        if let Some(from) = &f.created_from {
            filter = filter.at_least(&["created_at"], from);
        }
        if let Some(to) = &f.created_to {
            filter = filter.at_most(&["created_at"], to);
        }
    }
    if let Some(q) = &f.q {
        filter = filter.contains_any(&[&["search_text"]], &q.trim().to_lowercase());
    }
    Ok(store
        .query(&query.newest_first().filter(filter), cursor)
        .await?)
}

/// The most history entries one read returns (a lead moves a few times in its life).
pub const MAX_HISTORY: i32 = 1000;

/// `GET /v1/leads/{id}/history`, oldest first (at most [`MAX_HISTORY`]).
pub async fn history(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
) -> Result<Vec<HistoryEntry>, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let q = Query::partition(None, keys::partner_partition(&lead.partner_id), MAX_HISTORY)
        .prefix(keys::lead_history_prefix(&lead.id));
    Ok(store.query_up_to(&q).await?)
}

/// `GET /v1/leads/{id}/activities`, newest first.
pub async fn activities(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Activity>, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let q = Query::partition(None, keys::partner_partition(&lead.partner_id), limit)
        .prefix(keys::lead_activity_prefix(&lead.id))
        .newest_first();
    Ok(store.query(&q, cursor).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_times_are_rfc3339_and_compared_in_utc() {
        let filters = ListQuery {
            created_from: Some("2026-11-01T02:00:00+02:00".into()),
            ..Default::default()
        }
        .filters()
        .unwrap();
        assert_eq!(
            filters.created_from.as_deref(),
            Some("2026-11-01T00:00:00.000Z")
        );
        let bad = ListQuery {
            created_to: Some("yesterday".into()),
            status: Some("open".into()),
            ..Default::default()
        }
        .filters()
        .unwrap_err();
        let fields: Vec<_> = bad.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["status", "created_to"]);
    }
}
