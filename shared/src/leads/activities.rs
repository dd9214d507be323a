//! Activities on a lead (calls, meetings, notes), pushed to the CRM.

use super::*;

/// `POST /v1/leads/{id}/activities`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub next_action: Option<String>,
    #[serde(default)]
    pub next_action_at: Option<String>,
}

/// Records an activity and stamps the lead's `last_contact_at`, in one transaction.
pub async fn add_activity(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
    req: NewActivity,
    now: DateTime<Utc>,
) -> Result<Activity, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let mut e = Vec::new();
    let activity = Activity {
        id: ulid::Ulid::new().to_string(),
        partner_id: lead.partner_id.clone(),
        lead_id: lead.id.clone(),
        activity_type: req.activity_type,
        subject: optional(&mut e, "/subject", &req.subject, 200),
        description: optional(&mut e, "/description", &req.description, 5000),
        outcome: optional(&mut e, "/outcome", &req.outcome, 500),
        next_action: optional(&mut e, "/next_action", &req.next_action, 500),
        next_action_at: timestamp(&mut e, "/next_action_at", &req.next_action_at),
        by: principal.user_id.clone(),
        at: rfc3339(now),
    };
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let outbox = CrmOutbox {
        parent_id: Some(lead.id.clone()),
        ..CrmOutbox::new(
            crate::outbox::OutboxEntity::Activity,
            &activity.id,
            &lead.partner_id,
            crate::outbox::OutboxOperation::Create,
            &activity.at,
        )
    };
    // The lead's first call, email or meeting is its first contact: stamped once (the
    // condition makes a concurrent second one skip it) and counted in its quarter.
    let contact = matches!(
        activity.activity_type,
        ActivityType::Call | ActivityType::Email | ActivityType::Meeting
    );
    let first = contact && lead.first_contact_at.is_none();
    // An open lead with no follow-up sits on the idle index by when it was last touched:
    // the activity moves it to now (conditional on it still being there).
    let idle_key = lead
        .due_key()
        .filter(|k| k.pk == keys::idle_leads(&lead.partner_id));
    let build = |first: bool, idle: bool| {
        let mut patch = Patch::new(&lead.key())
            .set("last_contact_at", &activity.at)
            .set("updated_at", &activity.at)
            .add("version", 1)
            .require_exists();
        if let (true, Some(k)) = (idle, &idle_key) {
            let (pk, sk) = Index::Due.attributes();
            patch = patch
                .set(sk, format!("{}#{}", activity.at, lead.id))
                .require_eq(pk, &k.pk);
        }
        let mut tx = store.tx().insert(&activity).insert(&outbox);
        if first {
            patch = patch
                .set("first_contact_at", &activity.at)
                .require_unset("first_contact_at");
            let contacted = Lead {
                first_contact_at: Some(activity.at.clone()),
                ..lead.clone()
            };
            tx = add_quarter_change(tx, &lead.partner_id, &lead, &contacted);
        }
        tx.patch(patch.on_failure(Failure::Missing { what: "lead" }))
            .build()
    };
    // A condition fails when another activity was the first contact meanwhile, or the lead
    // left the idle index (a follow-up was set): each is retried without it.
    let mut attempts = vec![(first, idle_key.is_some()), (first, false), (false, false)];
    attempts.dedup();
    let mut attempts = attempts.into_iter().peekable();
    while let Some((first, idle)) = attempts.next() {
        match store.commit(build(first, idle)).await {
            Err(StoreError::Condition(_)) if attempts.peek().is_some() => continue,
            other => {
                other?;
                break;
            }
        }
    }
    Ok(activity)
}
