//! Which emails an address gets: one item per address (by its hash, so the table holds
//! no address for it), read once per non-transactional email, and the signed one-click
//! unsubscribe links (RFC 8058) that turn one kind off without signing in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::Signer;
use crate::store::{Entity, Key, Patch, Store, StoreError, keys};

/// A kind of non-transactional email, each of which its recipient can turn off.
/// Transactional emails (invitations, resets, verifications, decisions, statements) have
/// none and are always sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// A won lead's contact is asked for feedback (the contact is no portal user).
    Surveys,
    WeeklySummary,
    FollowUpReminders,
    LeadStatusChanges,
    CommissionUpdates,
}

impl Topic {
    /// The topics a portal user manages (`/v1/me/notifications`).
    pub const USER: [Topic; 4] = [
        Topic::WeeklySummary,
        Topic::FollowUpReminders,
        Topic::LeadStatusChanges,
        Topic::CommissionUpdates,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Surveys => "surveys",
            Topic::WeeklySummary => "weekly_summary",
            Topic::FollowUpReminders => "follow_up_reminders",
            Topic::LeadStatusChanges => "lead_status_changes",
            Topic::CommissionUpdates => "commission_updates",
        }
    }

    /// Whether a portal user (rather than a lead's contact) gets this kind: their emails
    /// link to the preferences page.
    pub fn for_users(self) -> bool {
        self != Topic::Surveys
    }
}

fn on() -> bool {
    true
}

/// The email preferences of one address. Every kind is on until turned off; an address
/// that bounced or complained is `suppressed` and gets no non-transactional email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPreferences {
    pub email_hash: String,
    #[serde(default = "on")]
    pub surveys: bool,
    #[serde(default = "on")]
    pub weekly_summary: bool,
    #[serde(default = "on")]
    pub follow_up_reminders: bool,
    #[serde(default = "on")]
    pub lead_status_changes: bool,
    #[serde(default = "on")]
    pub commission_updates: bool,
    /// `bounced` or `complained`: no non-transactional email at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    #[serde(default)]
    pub updated_at: String,
}

impl Entity for EmailPreferences {
    const KIND: &'static str = "email_preferences";

    fn key(&self) -> Key {
        keys::email_preferences(&self.email_hash)
    }
}

impl EmailPreferences {
    /// The preferences of an address that never changed them: everything on.
    pub fn defaults(email_hash: &str) -> Self {
        Self {
            email_hash: email_hash.to_string(),
            surveys: true,
            weekly_summary: true,
            follow_up_reminders: true,
            lead_status_changes: true,
            commission_updates: true,
            suppressed: None,
            updated_at: String::new(),
        }
    }

    pub fn get(&self, topic: Topic) -> bool {
        match topic {
            Topic::Surveys => self.surveys,
            Topic::WeeklySummary => self.weekly_summary,
            Topic::FollowUpReminders => self.follow_up_reminders,
            Topic::LeadStatusChanges => self.lead_status_changes,
            Topic::CommissionUpdates => self.commission_updates,
        }
    }

    /// Whether an email of `topic` goes to this address.
    pub fn wants(&self, topic: Topic) -> bool {
        self.suppressed.is_none() && self.get(topic)
    }
}

/// The preferences' form of an address: lower-cased, hashed.
pub fn address_hash(email: &str) -> String {
    crate::crypto::token_hash(&email.trim().to_lowercase())
}

/// The preferences key of an address.
pub fn preferences_key(email: &str) -> Key {
    keys::email_preferences(&address_hash(email))
}

/// An address's preferences (the defaults when it never changed them): one read.
pub async fn preferences_of(store: &Store, email: &str) -> Result<EmailPreferences, StoreError> {
    let hash = address_hash(email);
    Ok(store
        .get(&keys::email_preferences(&hash))
        .await?
        .unwrap_or_else(|| EmailPreferences::defaults(&hash)))
}

/// Sets some topics of an address on or off, leaving the others as they are (a partial
/// update: two changes at once do not undo each other).
pub fn set_topics(email_hash: &str, changes: &[(Topic, bool)], now: DateTime<Utc>) -> Patch {
    let mut patch = Patch::new(&keys::email_preferences(email_hash))
        .set("email_hash", email_hash)
        .set(keys::KIND, EmailPreferences::KIND)
        .set("updated_at", crate::validate::rfc3339(now));
    for (topic, value) in changes {
        patch = patch.set(topic.as_str(), *value);
    }
    patch
}

/// Puts an address off every non-transactional email (a bounce or a complaint).
pub async fn suppress(
    store: &Store,
    email: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let hash = address_hash(email);
    store
        .apply(set_topics(&hash, &[], now).set("suppressed", reason))
        .await
}

/// The scope of unsubscribe links (see [`Signer`]).
const UNSUBSCRIBE_SCOPE: &str = "unsubscribe";

/// How long an unsubscribe link in an email keeps working.
pub const UNSUBSCRIBE_VALID_DAYS: i64 = 400;

/// What a one-click unsubscribe link names: a topic, an address (hashed), an end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeClaim {
    #[serde(rename = "t")]
    pub topic: Topic,
    #[serde(rename = "h")]
    pub email_hash: String,
    /// Epoch seconds.
    #[serde(rename = "x")]
    pub expires_at: i64,
}

/// Why an unsubscribe (or other signed) link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// Forged, altered, of another kind of link, malformed.
    Invalid,
    Expired,
}

/// The signed token that turns `topic` off for `email` (nothing is stored).
pub fn unsubscribe_token(signer: &Signer, email: &str, topic: Topic, now: DateTime<Utc>) -> String {
    let claim = UnsubscribeClaim {
        topic,
        email_hash: address_hash(email),
        expires_at: (now + chrono::Duration::days(UNSUBSCRIBE_VALID_DAYS)).timestamp(),
    };
    let payload = serde_json::to_vec(&claim).expect("a claim serialises");
    signer.sign(UNSUBSCRIBE_SCOPE, &payload)
}

/// The one-click unsubscribe URL (RFC 8058, for `List-Unsubscribe`) of a `token`, under
/// `portal_url` (which serves the API at `/v1`).
pub fn unsubscribe_url(portal_url: &str, token: &str) -> String {
    format!(
        "{}/v1/public/unsubscribe/{token}",
        portal_url.trim_end_matches('/')
    )
}

/// The web page a person opens from an email's footer to unsubscribe: it asks, then
/// POSTs the same token (a link opened with GET never unsubscribes by itself).
pub fn unsubscribe_page(portal_url: &str, token: &str) -> String {
    format!("{}/unsubscribe/{token}", portal_url.trim_end_matches('/'))
}

/// The claim of an unsubscribe token, if it is genuine and not expired.
pub fn read_unsubscribe(
    signer: &Signer,
    token: &str,
    now: DateTime<Utc>,
) -> Result<UnsubscribeClaim, LinkRefused> {
    let payload = signer
        .verify(UNSUBSCRIBE_SCOPE, token)
        .ok_or(LinkRefused::Invalid)?;
    let claim: UnsubscribeClaim =
        serde_json::from_slice(&payload).map_err(|_| LinkRefused::Invalid)?;
    if claim.expires_at <= now.timestamp() {
        return Err(LinkRefused::Expired);
    }
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_link_names_its_topic_and_address_until_it_expires() {
        let signer = Signer::new(&[3u8; 32]).unwrap();
        let now = Utc::now();
        let token = unsubscribe_token(&signer, " Naledi@Example.com", Topic::WeeklySummary, now);
        assert_eq!(
            unsubscribe_url("https://portal.test/", &token),
            format!("https://portal.test/v1/public/unsubscribe/{token}")
        );
        let token = token.as_str();
        let claim = read_unsubscribe(&signer, token, now).unwrap();
        assert_eq!(claim.topic, Topic::WeeklySummary);
        assert_eq!(claim.email_hash, address_hash("naledi@example.com"));
        let later = now + chrono::Duration::days(UNSUBSCRIBE_VALID_DAYS + 1);
        assert_eq!(
            read_unsubscribe(&signer, token, later),
            Err(LinkRefused::Expired)
        );
        let other = Signer::new(&[4u8; 32]).unwrap();
        assert_eq!(
            read_unsubscribe(&other, token, now),
            Err(LinkRefused::Invalid)
        );
    }

    #[test]
    fn a_suppressed_address_wants_nothing_and_defaults_want_everything() {
        let mut p = EmailPreferences::defaults("h");
        assert!(Topic::USER.iter().all(|t| p.wants(*t)) && p.wants(Topic::Surveys));
        p.weekly_summary = false;
        assert!(!p.wants(Topic::WeeklySummary) && p.wants(Topic::FollowUpReminders));
        p.suppressed = Some("bounced".into());
        assert!(!p.wants(Topic::FollowUpReminders));
    }
}
