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
    let tx = store
        .tx()
        .insert(&activity)
        .insert(&outbox)
        .patch(
            Patch::new(&lead.key())
                .set("last_contact_at", &activity.at)
                .set("updated_at", &activity.at)
                .add("version", 1)
                .require_exists()
                .on_failure(Failure::Missing { what: "lead" }),
        )
        .build();
    store.commit(tx).await?;
    Ok(activity)
}
