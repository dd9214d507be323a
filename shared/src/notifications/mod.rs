//! Email notifications through a transactional outbox.
//!
//! A service that must email someone writes an [`OutboxEmail`] in the same transaction as
//! the change it reports, so the email exists exactly when the change does. The table's
//! stream delivers new outbox items to the `email-sender` function, which renders and
//! sends them with SES and deletes them; a failed send is retried by the stream and, after
//! the retries, dead-lettered with an alarm. Nothing is lost between commit and send.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use serde::{Deserialize, Serialize};

use crate::store::{Entity, Index, Key, keys};

mod messages;
pub mod preferences;
pub mod template;

pub use preferences::{
    EmailPreferences, LinkRefused, Topic, UnsubscribeClaim, address_hash, preferences_key,
    preferences_of, read_unsubscribe, suppress, unsubscribe_page, unsubscribe_token,
    unsubscribe_url,
};
pub use template::Rendered;

/// What to send. Links carry single-use tokens and are built from the portal's base URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailKind {
    Invitation {
        inviter_business: String,
        role: String,
        link: String,
    },
    PasswordReset {
        link: String,
    },
    /// The registering owner proves their address.
    VerifyEmail {
        link: String,
    },
    /// Someone applied with an address that already has an account.
    AccountExists {
        sign_in_link: String,
        reset_link: String,
    },
    /// A partner invited an address that already has an account (with another partner
    /// or their own): nothing was created.
    InvitedElsewhere {
        inviter_business: String,
    },
    /// An operations decision on the partner's application or account.
    PartnerDecision {
        business_name: String,
        decision: String,
        reason: Option<String>,
    },
    /// A won lead's contact is asked how it went (a single-use link to the survey page).
    Survey {
        first_name: String,
        business_name: String,
        link: String,
    },
    /// Operations assigned a lead to the partner.
    LeadAssigned {
        business_name: String,
        lead_name: String,
    },
    /// The CRM closed one of the partner's leads (won, lost or converted).
    LeadClosed {
        business_name: String,
        lead_name: String,
        status: String,
    },
    /// Operations approved or held one of the partner's commission lines.
    CommissionChanged {
        business_name: String,
        description: String,
        /// `1 250.00 ZAR` as [`crate::money::Money::display`] writes it.
        amount: String,
        /// `approved` or `held`.
        status: String,
        reason: Option<String>,
    },
    /// A payout was paid: the statement of its lines.
    PayoutPaid {
        business_name: String,
        amount: String,
        reference: Option<String>,
        /// One `description: amount` line per commission line.
        lines: Vec<String>,
    },
    /// A KYC document was reviewed.
    DocumentReviewed {
        document_type: String,
        decision: String,
        reason: Option<String>,
    },
    /// A KYC document expires soon (or has): the owner uploads a new one.
    KycExpiring {
        business_name: String,
        document_type: String,
        /// `YYYY-MM-DD`.
        expires_on: String,
        days_left: i64,
    },
    /// The daily digest of a user's follow-ups due today and overdue.
    FollowUpDigest {
        first_name: Option<String>,
        /// `YYYY-MM-DD` (UTC) of the digest.
        date: String,
        overdue: Vec<FollowUpLine>,
        today: Vec<FollowUpLine>,
        /// Due follow-ups beyond the ones listed.
        more: u64,
    },
    /// Last week of a partner, for one of its users.
    WeeklySummary {
        first_name: Option<String>,
        business_name: String,
        /// `2026-11-16 to 2026-11-22`.
        week: String,
        leads_new: i64,
        leads_won: i64,
        leads_lost: i64,
        /// `25%`, or `not available` without closed leads.
        conversion: String,
        /// `72.4 (rank 3 of 12, up 2.1 in 30 days)`, or `not available`.
        score: String,
        /// One line per currency (`ZAR: 1 250.00 earned, …`); none for the roles that do
        /// not see money.
        commissions: Option<Vec<String>>,
    },
}

/// One follow-up in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpLine {
    pub lead_id: String,
    /// The lead's name and company.
    pub lead: String,
    /// `2026-11-29 14:00 UTC`.
    pub due: String,
}

/// An email waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: String,
    pub to: String,
    pub created_at: String,
    #[serde(flatten)]
    pub kind: EmailKind,
}

impl Entity for OutboxEmail {
    const KIND: &'static str = "email_outbox";

    fn key(&self) -> Key {
        keys::email_outbox(&self.id)
    }

    /// Unsent emails are listed oldest first, for operations and for replays.
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::Due,
            Key::new(
                keys::PENDING_EMAILS,
                format!("{}#{}", self.created_at, self.id),
            ),
        )]
    }
}

impl OutboxEmail {
    pub fn new(to: &str, kind: EmailKind, now: &str) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            to: to.to_string(),
            created_at: now.to_string(),
            kind,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("email not sent: {0}")]
pub struct SendError(pub String);

/// Where an email's links go: the portal of this stage, and the signer of its
/// one-click unsubscribe links.
#[derive(Clone, Debug)]
pub struct Links {
    pub portal_url: String,
    pub signer: crate::crypto::Signer,
}

impl Links {
    /// The page where a portal user chooses their emails.
    pub fn preferences_page(&self) -> String {
        format!(
            "{}/app/settings/notifications",
            self.portal_url.trim_end_matches('/')
        )
    }
}

impl OutboxEmail {
    /// The signed unsubscribe token of a non-transactional email, with its topic.
    fn unsubscribe(&self, links: &Links, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
        let topic = self.kind.topic()?;
        Some(unsubscribe_token(&links.signer, &self.to, topic, now))
    }

    /// The email as it is sent: its message, and a footer with the preferences page and
    /// the page of the unsubscribe `token` (non-transactional emails only).
    pub fn render(&self, links: &Links, token: Option<&str>) -> Rendered {
        let footer = match (self.kind.topic(), token) {
            (Some(topic), Some(token)) => template::Footer {
                preferences: topic.for_users().then(|| links.preferences_page()),
                unsubscribe: Some(unsubscribe_page(&links.portal_url, token)),
            },
            _ => template::Footer::default(),
        };
        self.kind.message(&links.portal_url).render(&footer)
    }
}

/// Sends rendered emails with SES v2 from the configured identity.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: Client,
    from: String,
    links: Links,
}

impl Mailer {
    pub fn new(client: Client, from: impl Into<String>, links: Links) -> Self {
        Self {
            client,
            from: from.into(),
            links,
        }
    }

    pub async fn send(&self, email: &OutboxEmail) -> Result<(), SendError> {
        // One token for the footer's page and the header's one-click URL.
        let token = email.unsubscribe(&self.links, chrono::Utc::now());
        let rendered = email.render(&self.links, token.as_deref());
        let content = |s: String| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(|e| SendError(e.to_string()))
        };
        let mut message = Message::builder().subject(content(rendered.subject)?).body(
            Body::builder()
                .text(content(rendered.text)?)
                .html(content(rendered.html)?)
                .build(),
        );
        // RFC 8058 one-click unsubscribe: mail apps show a button that POSTs to the URL.
        if let Some(token) = &token {
            let url = unsubscribe_url(&self.links.portal_url, token);
            for (name, value) in [
                ("List-Unsubscribe", format!("<{url}>")),
                (
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".to_string(),
                ),
            ] {
                message = message.headers(
                    MessageHeader::builder()
                        .name(name)
                        .value(value)
                        .build()
                        .map_err(|e| SendError(e.to_string()))?,
                );
            }
        }
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message.build()).build())
            .send()
            .await
            .map_err(|e| SendError(format!("{e:?}")))?;
        Ok(())
    }
}

impl EmailKind {
    /// The kind of non-transactional email this is, which its recipient can turn off;
    /// `None` for transactional email (invitations, resets, verifications, decisions,
    /// statements, KYC expiry), which is always sent.
    pub fn topic(&self) -> Option<Topic> {
        match self {
            EmailKind::Survey { .. } => Some(Topic::Surveys),
            EmailKind::WeeklySummary { .. } => Some(Topic::WeeklySummary),
            EmailKind::FollowUpDigest { .. } => Some(Topic::FollowUpReminders),
            EmailKind::LeadAssigned { .. } | EmailKind::LeadClosed { .. } => {
                Some(Topic::LeadStatusChanges)
            }
            EmailKind::CommissionChanged { .. } => Some(Topic::CommissionUpdates),
            EmailKind::Invitation { .. }
            | EmailKind::PasswordReset { .. }
            | EmailKind::VerifyEmail { .. }
            | EmailKind::AccountExists { .. }
            | EmailKind::InvitedElsewhere { .. }
            | EmailKind::PartnerDecision { .. }
            | EmailKind::PayoutPaid { .. }
            | EmailKind::DocumentReviewed { .. }
            | EmailKind::KycExpiring { .. } => None,
        }
    }

    /// Whether the email is sent whatever the recipient's preferences.
    pub fn transactional(&self) -> bool {
        self.topic().is_none()
    }
}

/// Sends one outbox email and removes it from the outbox. A non-transactional email to an
/// address that turned its kind off (or is suppressed) is removed unsent. Delivery is at
/// least once: if the removal fails after the send, a retry sends it again rather than
/// never.
pub async fn deliver(
    mailer: &Mailer,
    store: &crate::store::Store,
    email: &OutboxEmail,
) -> Result<(), SendError> {
    let unwanted = match email.kind.topic() {
        None => false,
        Some(topic) => !preferences_of(store, &email.to)
            .await
            .map_err(|e| SendError(format!("reading the email preferences: {e}")))?
            .wants(topic),
    };
    if unwanted {
        tracing::info!(email_id = %email.id, "not sent: the recipient turned this kind of email off");
    } else {
        mailer.send(email).await?;
    }
    let tx = store
        .tx()
        .delete(
            &email.key(),
            crate::store::Failure::Missing { what: "email" },
        )
        .build();
    match store.commit(tx).await {
        Ok(()) | Err(crate::store::StoreError::Condition(_)) => Ok(()),
        Err(e) => {
            tracing::warn!(email_id = %email.id, error = %e, "sent, but not removed from the outbox");
            Ok(())
        }
    }
}
