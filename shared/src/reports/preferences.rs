//! `GET/PUT /v1/me/notifications` (a user's email preferences) and the one-click
//! unsubscribe every non-transactional email links to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::Signer;
use crate::identity::access::Access;
use crate::limits::Limit;
use crate::notifications::preferences::set_topics;
use crate::notifications::{
    EmailPreferences, LinkRefused, Topic, address_hash, preferences_of, read_unsubscribe,
};
use crate::store::Store;

use super::ReportsError;

/// A user's email preferences, as the API shows and takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub weekly_summary: bool,
    pub follow_up_reminders: bool,
    pub lead_status_changes: bool,
    pub commission_updates: bool,
}

impl From<&EmailPreferences> for NotificationSettings {
    fn from(p: &EmailPreferences) -> Self {
        Self {
            weekly_summary: p.weekly_summary,
            follow_up_reminders: p.follow_up_reminders,
            lead_status_changes: p.lead_status_changes,
            commission_updates: p.commission_updates,
        }
    }
}

/// `PUT /v1/me/notifications`: any of the four as booleans (`null` is refused), nothing
/// else.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    #[serde(default, deserialize_with = "present")]
    pub weekly_summary: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub follow_up_reminders: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub lead_status_changes: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub commission_updates: Option<bool>,
}

/// A key that is present holds a boolean.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    bool::deserialize(d).map(Some)
}

impl SettingsChange {
    fn changes(&self) -> Vec<(Topic, bool)> {
        [
            (Topic::WeeklySummary, self.weekly_summary),
            (Topic::FollowUpReminders, self.follow_up_reminders),
            (Topic::LeadStatusChanges, self.lead_status_changes),
            (Topic::CommissionUpdates, self.commission_updates),
        ]
        .into_iter()
        .filter_map(|(t, v)| v.map(|v| (t, v)))
        .collect()
    }
}

/// The caller's settings (one read after the access check).
pub async fn settings(
    store: &Store,
    access: &Access,
) -> Result<NotificationSettings, ReportsError> {
    Ok((&preferences_of(store, &access.user.email).await?).into())
}

/// Changes the caller's settings; answers them as they now are, from the write itself
/// (one round trip after the access check).
pub async fn update_settings(
    store: &Store,
    access: &Access,
    change: &SettingsChange,
    now: DateTime<Utc>,
) -> Result<NotificationSettings, ReportsError> {
    let changes = change.changes();
    if changes.is_empty() {
        return settings(store, access).await;
    }
    let hash = address_hash(&access.user.email);
    let prefs: EmailPreferences = store
        .apply_returning(set_topics(&hash, &changes, now))
        .await?;
    Ok((&prefs).into())
}

/// `POST /v1/public/unsubscribe/{token}`: takes one of the source's attempts, checks the
/// signed token, then turns its kind of email off for its address (again is harmless).
/// Returns the kind.
pub async fn unsubscribe(
    store: &Store,
    signer: &Signer,
    token: &str,
    source: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Topic, ReportsError> {
    store
        .apply(limit.take_patch("unsubscribe", source, now))
        .await?;
    let claim = read_unsubscribe(signer, token, now).map_err(|e| match e {
        LinkRefused::Invalid => ReportsError::UnknownLink,
        LinkRefused::Expired => ReportsError::ExpiredLink,
    })?;
    store
        .apply(set_topics(&claim.email_hash, &[(claim.topic, false)], now))
        .await?;
    Ok(claim.topic)
}
