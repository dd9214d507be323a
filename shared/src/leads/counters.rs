//! What a lead adds to its partner's counters item and the figures read from it:
//! every lead change applies `after - before` in its own transaction, so the counters always
//! equal a recount; `/v1/leads/stats` reads them in one round trip.

use super::*;

/// What one lead adds to its partner's counters. A change applies `after - before`, so the
/// counters always equal a recount of the items (a test recounts after random traffic).
pub fn contributions(lead: &Lead) -> BTreeMap<String, i64> {
    let mut c = BTreeMap::new();
    c.insert("leads_total".to_string(), 1);
    c.insert(format!("status_{}", lead.status.as_str()), 1);
    if lead.status.is_open() {
        c.insert("leads_open".to_string(), 1);
        if let Some(due) = &lead.next_follow_up_at {
            c.insert(format!("due_{}", &due[..10].replace('-', "")), 1);
        }
    }
    if let Some(stage) = &lead.stage {
        c.insert(format!("stage_{stage}"), 1);
    }
    c
}

pub use crate::validate::quarter_of;

/// First-contact latency buckets (hours, upper bounds) and their counter names.
pub const FIRST_CONTACT_BUCKETS: [(i64, &str); 5] = [
    (1, "first_contact_1h"),
    (4, "first_contact_4h"),
    (24, "first_contact_24h"),
    (72, "first_contact_72h"),
    (i64::MAX, "first_contact_later"),
];

/// The bucket of a first contact `seconds` after registration.
pub fn first_contact_bucket(seconds: i64) -> &'static str {
    FIRST_CONTACT_BUCKETS
        .iter()
        .find(|(hours, _)| seconds <= hours.saturating_mul(3600))
        .map(|(_, name)| *name)
        .unwrap_or("first_contact_later")
}

/// What one lead adds to its partner's quarter counters: created in the quarter it was
/// registered, won or lost in the quarter it closed, its first contact (by latency) in the
/// quarter it happened. A change applies `after - before`, like the counters item.
pub fn quarter_contributions(lead: &Lead) -> Vec<(String, &'static str)> {
    let mut c = Vec::new();
    if let Some(q) = quarter_of(&lead.created_at) {
        c.push((q, "leads_created"));
    }
    if let Some(q) = lead.closed_at.as_deref().and_then(quarter_of) {
        match lead.status {
            LeadStatus::Won | LeadStatus::Converted => c.push((q, "leads_won")),
            LeadStatus::Lost => c.push((q, "leads_lost")),
            _ => {}
        }
    }
    if let Some(first) = &lead.first_contact_at
        && let Some(q) = quarter_of(first)
        && let (Ok(a), Ok(b)) = (
            DateTime::parse_from_rfc3339(&lead.created_at),
            DateTime::parse_from_rfc3339(first),
        )
    {
        c.push((q, first_contact_bucket((b - a).num_seconds())));
    }
    c
}

/// What one lead adds to its partner's week counters (the weekly summary): created in
/// the ISO week it was registered, won or lost in the week it closed.
pub fn week_contributions(lead: &Lead) -> Vec<(String, &'static str)> {
    let mut c = Vec::new();
    if let Some(w) = crate::validate::iso_week_of(&lead.created_at) {
        c.push((w, "leads_created"));
    }
    if let Some(w) = lead
        .closed_at
        .as_deref()
        .and_then(crate::validate::iso_week_of)
    {
        match lead.status {
            LeadStatus::Won | LeadStatus::Converted => c.push((w, "leads_won")),
            LeadStatus::Lost => c.push((w, "leads_lost")),
            _ => {}
        }
    }
    c
}

/// The quarter counters' change from `before` to `after` of one lead (no other counter).
pub(crate) fn add_quarter_change<'a>(
    tx: TxBuilder<'a>,
    partner_id: &str,
    before: &Lead,
    after: &Lead,
) -> TxBuilder<'a> {
    add_quarters(tx, partner_id, Some(before), Some(after))
}

fn add_quarters<'a>(
    mut tx: TxBuilder<'a>,
    partner_id: &str,
    before: Option<&Lead>,
    after: Option<&Lead>,
) -> TxBuilder<'a> {
    let mut d: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
    for (q, attr) in before.map(quarter_contributions).unwrap_or_default() {
        *d.entry((q, attr)).or_default() -= 1;
    }
    for (q, attr) in after.map(quarter_contributions).unwrap_or_default() {
        *d.entry((q, attr)).or_default() += 1;
    }
    for ((q, attr), delta) in d.into_iter().filter(|(_, v)| *v != 0) {
        tx = tx.add(
            &keys::partner_quarter(partner_id, &q),
            "partner_quarter",
            &[(attr, delta)],
        );
    }
    let mut w: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
    for (week, attr) in before.map(week_contributions).unwrap_or_default() {
        *w.entry((week, attr)).or_default() -= 1;
    }
    for (week, attr) in after.map(week_contributions).unwrap_or_default() {
        *w.entry((week, attr)).or_default() += 1;
    }
    for ((week, attr), delta) in w.into_iter().filter(|(_, v)| *v != 0) {
        tx = tx.add(
            &keys::partner_week(partner_id, &week),
            "partner_week",
            &[(attr, delta)],
        );
    }
    tx
}

pub(crate) fn deltas(before: Option<&Lead>, after: Option<&Lead>) -> Vec<(String, i64)> {
    let mut d: BTreeMap<String, i64> = BTreeMap::new();
    if let Some(b) = before {
        for (k, v) in contributions(b) {
            *d.entry(k).or_default() -= v;
        }
    }
    if let Some(a) = after {
        for (k, v) in contributions(a) {
            *d.entry(k).or_default() += v;
        }
    }
    d.into_iter().filter(|(_, v)| *v != 0).collect()
}

pub(crate) fn add_counters<'a>(
    tx: TxBuilder<'a>,
    partner_id: &str,
    before: Option<&Lead>,
    after: Option<&Lead>,
) -> TxBuilder<'a> {
    let d = deltas(before, after);
    let tx = add_quarters(tx, partner_id, before, after);
    let pipeline = pipeline_value(after) - pipeline_value(before);
    let tx = if pipeline != 0 {
        // The directory's hero metric, changed with the lead that changes it.
        tx.add(
            &keys::directory_counters(),
            "directory_counters",
            &[("pipeline_value_minor", pipeline)],
        )
    } else {
        tx
    };
    let key = keys::partner_counters(partner_id);
    let new_stage = after
        .and_then(|a| a.stage.as_deref())
        .filter(|s| before.and_then(|b| b.stage.as_deref()) != Some(*s));
    let Some(stage) = new_stage else {
        let refs: Vec<(&str, i64)> = d.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        return tx.add(&key, "partner_counters", &refs);
    };
    // Each stage label has its own counter on the one counters item: the labels a partner
    // uses are capped (kept in a set on the same item, checked in the same write), so the
    // item cannot grow without bound.
    let mut patch = Patch::new(&key)
        .set(keys::KIND, "partner_counters")
        .add_to_set(STAGE_LABELS, stage)
        .require_room_in_set(STAGE_LABELS, stage, MAX_STAGES)
        .on_failure(Failure::conflict(
            "too_many_stages",
            format!("A partner uses at most {MAX_STAGES} distinct stages; reuse one of them."),
        ));
    for (attr, delta) in &d {
        patch = patch.add(attr, *delta);
    }
    tx.patch(patch)
}

/// The currency the portal-wide pipeline value is kept in; leads valued in another
/// currency are not added to it (sums never mix currencies).
pub const PIPELINE_CURRENCY: &str = "ZAR";

/// What a lead adds to the portal-wide pipeline value: its estimate while it is open.
pub(crate) fn pipeline_value(lead: Option<&Lead>) -> i64 {
    lead.filter(|l| l.status.is_open())
        .and_then(|l| l.estimated_value.as_ref())
        .filter(|m| m.currency == PIPELINE_CURRENCY)
        .map(|m| m.amount_minor)
        .unwrap_or(0)
}

/// Distinct stage labels a partner may use (each has a counter on the counters item).
pub const MAX_STAGES: i64 = 50;
/// The set of stage labels in use, on the counters item.
pub(crate) const STAGE_LABELS: &str = "stage_labels";

/// Follow-ups may be planned up to two years ahead and recorded up to a year back: each
/// distinct day is a counter on the partner's counters item.
pub const FOLLOW_UP_WINDOW_DAYS: (i64, i64) = (365, 2 * 365);

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub total: i64,
    pub open: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_stage: BTreeMap<String, i64>,
    pub won: i64,
    pub lost: i64,
    pub conversion_rate: f64,
    pub overdue_follow_ups: i64,
}

/// `GET /v1/leads/stats`: one read of the counters item, whatever the number of leads.
/// Overdue follow-ups are the per-day due counts before today.
/// The counters key the stats are read from (read with the access check).
pub fn stats_key(principal: &Principal) -> Vec<crate::store::Key> {
    principal
        .partner_id
        .as_deref()
        .map(keys::partner_counters)
        .into_iter()
        .collect()
}

/// `GET /v1/leads/stats`, from the counters item read with the access check.
pub fn stats(
    access: &mut crate::identity::access::Access,
    now: DateTime<Utc>,
) -> Result<Stats, LeadError> {
    let counters: HashMap<String, Value> = match stats_key(&access.principal).first() {
        Some(k) => access.fetched.take(k)?.unwrap_or_default(),
        None => return Err(crate::auth::NoPartner.into()),
    };
    Ok(stats_from(&counters, now.date_naive()))
}

/// Reads the figures out of a counters item.
pub fn stats_from(counters: &HashMap<String, Value>, today: NaiveDate) -> Stats {
    let n = |k: &str| counters.get(k).and_then(Value::as_i64).unwrap_or(0);
    let by_status: BTreeMap<String, i64> = LeadStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), n(&format!("status_{}", s.as_str()))))
        .collect();
    let by_stage: BTreeMap<String, i64> = counters
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("stage_")?.to_string(), v.as_i64()?)))
        .filter(|(_, v)| *v > 0)
        .collect();
    let today = today.format("%Y%m%d").to_string();
    let overdue = counters
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("due_")?, v.as_i64()?)))
        .filter(|(day, _)| *day < today.as_str())
        .map(|(_, v)| v)
        .sum();
    let (total, won, lost) = (
        n("leads_total"),
        by_status["won"] + by_status["converted"],
        by_status["lost"],
    );
    Stats {
        total,
        open: n("leads_open"),
        conversion_rate: if total > 0 {
            ((won as f64 / total as f64) * 10_000.0).round() / 10_000.0
        } else {
            0.0
        },
        by_status,
        by_stage,
        won,
        lost,
        overdue_follow_ups: overdue,
    }
}
