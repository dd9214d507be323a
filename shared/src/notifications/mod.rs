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
        /// The one-click unsubscribe (RFC 8058) this email carries in `List-Unsubscribe`.
        #[serde(default)]
        unsubscribe: Option<String>,
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

    /// Subject and plain-text body.
    pub fn render(&self) -> (String, String) {
        match &self.kind {
            EmailKind::Invitation {
                inviter_business,
                role,
                link,
            } => (
                format!("You are invited to {inviter_business}'s partner portal"),
                format!(
                    "Hello,\n\n{inviter_business} invited you to their partner portal account as {role}.\n\n\
                     Accept the invitation and choose your password here (the link works once, for 7 days):\n{link}\n\n\
                     If you did not expect this, ignore this email."
                ),
            ),
            EmailKind::PartnerDecision {
                business_name,
                decision,
                reason,
            } => (
                format!("{business_name}: your partner account was {decision}"),
                format!(
                    "Hello,\n\nYour partner account for {business_name} was {decision}.{}\n\n\
                     Sign in to the partner portal for details.",
                    reason
                        .as_deref()
                        .map(|r| format!("\n\nReason: {r}"))
                        .unwrap_or_default()
                ),
            ),
            EmailKind::DocumentReviewed {
                document_type,
                decision,
                reason,
            } => (
                format!("Your {document_type} was {decision}"),
                format!(
                    "Hello,\n\nYour KYC document ({document_type}) was {decision}.{}\n\n\
                     Sign in to the partner portal to see your documents.",
                    reason
                        .as_deref()
                        .map(|r| format!("\n\nReason: {r}"))
                        .unwrap_or_default()
                ),
            ),
            EmailKind::Survey {
                first_name,
                business_name,
                link,
                ..
            } => (
                format!("How was working with {business_name}?"),
                format!(
                    "Hello {first_name},\n\nThank you for choosing {business_name}. Would you recommend them to a friend or colleague?\n\n\
                     Answer on a scale from 0 to 10 here (one question and an optional comment; the link works once, for 30 days):\n{link}\n\n\
                     If you would rather not be asked, ignore this email: we will not send another one for this purchase. \
                     Your email app's unsubscribe button stops survey emails to this address altogether."
                ),
            ),
            EmailKind::LeadAssigned {
                business_name,
                lead_name,
            } => (
                format!("A new lead for {business_name}: {lead_name}"),
                format!(
                    "Hello,\n\nOur team assigned the lead {lead_name} to {business_name}.\n\nSign in to the partner portal to follow it up."
                ),
            ),
            EmailKind::LeadClosed {
                business_name,
                lead_name,
                status,
            } => (
                format!("Your lead {lead_name} is now {status}"),
                format!(
                    "Hello,\n\nThe lead {lead_name} registered by {business_name} is now {status}.\n\nSign in to the partner portal to see its history."
                ),
            ),
            EmailKind::CommissionChanged {
                business_name,
                description,
                amount,
                status,
                reason,
            } => (
                format!("Commission {status}: {amount}"),
                format!(
                    "Hello,\n\nA commission of {business_name} was {status}: {description} ({amount}).{}\n\n\
                     Sign in to the partner portal to see your commissions.",
                    reason
                        .as_deref()
                        .map(|r| format!("\n\nReason: {r}"))
                        .unwrap_or_default()
                ),
            ),
            EmailKind::PayoutPaid {
                business_name,
                amount,
                reference,
                lines,
            } => (
                format!("Payout of {amount} to {business_name}"),
                format!(
                    "Hello,\n\nWe paid {amount} to {business_name}{}.\n\nStatement:\n{}\n\n\
                     Sign in to the partner portal to see the payout and its lines.",
                    reference
                        .as_deref()
                        .map(|r| format!(" (reference {r})"))
                        .unwrap_or_default(),
                    lines
                        .iter()
                        .map(|l| format!("  - {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            ),
            EmailKind::VerifyEmail { link } => (
                "Confirm your email for the partner portal".to_string(),
                format!(
                    "Hello,\n\nConfirm that this address belongs to you to finish setting up your \
                     partner portal account (the link works once, for 48 hours):\n{link}\n\n\
                     If you did not apply to become a partner, ignore this email."
                ),
            ),
            EmailKind::AccountExists {
                sign_in_link,
                reset_link,
            } => (
                "You already have a partner portal account".to_string(),
                format!(
                    "Hello,\n\nSomeone applied to become a partner with this address, which already \
                     has a partner portal account, so no new account was created.\n\n\
                     Sign in here:\n{sign_in_link}\n\n\
                     If you don't know the password, or the account was not opened by you, reset \
                     the password here; a reset also removes users added before the address \
                     was confirmed:\n{reset_link}\n\n\
                     If you did not apply, ignore this email."
                ),
            ),
            EmailKind::InvitedElsewhere { inviter_business } => (
                format!("{inviter_business} tried to invite you to the partner portal"),
                format!(
                    "Hello,\n\n{inviter_business} tried to invite this address to their partner \
                     portal account. The address already has a partner portal account, and one \
                     address belongs to one account, so nothing was changed.\n\n\
                     If you want to join {inviter_business}, ask them to invite another address."
                ),
            ),
            EmailKind::PasswordReset { link } => (
                "Reset your partner portal password".to_string(),
                format!(
                    "Hello,\n\nSomeone asked to reset the password of your partner portal account.\n\n\
                     Choose a new password here (the link works once, for 1 hour):\n{link}\n\n\
                     If this was not you, ignore this email; your password stays as it is."
                ),
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("email not sent: {0}")]
pub struct SendError(pub String);

/// Sends rendered emails with SES v2 from the configured identity.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: Client,
    from: String,
}

impl Mailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }

    pub async fn send(&self, email: &OutboxEmail) -> Result<(), SendError> {
        let (subject, text) = email.render();
        let content = |s: String| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(|e| SendError(e.to_string()))
        };
        let mut message = Message::builder()
            .subject(content(subject)?)
            .body(Body::builder().text(content(text)?).build());
        // RFC 8058 one-click unsubscribe: mail apps show a button that POSTs to the URL.
        if let Some(url) = email.kind.unsubscribe_url() {
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
        let message = message.build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| SendError(format!("{e:?}")))?;
        Ok(())
    }
}

/// An address that gets no survey (or other non-transactional email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub email_hash: String,
    /// `unsubscribed` or `bounced`.
    pub reason: String,
    pub at: String,
}

impl Entity for Suppression {
    const KIND: &'static str = "suppression";

    fn key(&self) -> Key {
        keys::suppression(&self.email_hash)
    }
}

/// The suppression key of an address (lower-cased, hashed: the list holds no addresses).
pub fn suppression_key(email: &str) -> Key {
    keys::suppression(&address_hash(email))
}

/// Puts an address on the suppression list.
pub async fn suppress(
    store: &crate::store::Store,
    email: &str,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::store::StoreError> {
    suppress_hash(store, &address_hash(email), reason, now).await
}

/// The suppression list's form of an address: lower-cased, hashed.
pub fn address_hash(email: &str) -> String {
    crate::crypto::token_hash(&email.trim().to_lowercase())
}

/// Puts an address, given by its [`address_hash`], on the suppression list.
pub async fn suppress_hash(
    store: &crate::store::Store,
    email_hash: &str,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::store::StoreError> {
    let item = Suppression {
        email_hash: email_hash.to_string(),
        reason: reason.to_string(),
        at: crate::validate::rfc3339(now),
    };
    store.commit(store.tx().put(&item).build()).await
}

impl EmailKind {
    /// Whether the email is sent whatever the recipient's preferences (invitations,
    /// resets, decisions, statements); the others skip suppressed addresses.
    pub fn transactional(&self) -> bool {
        !matches!(self, EmailKind::Survey { .. })
    }

    /// The one-click unsubscribe URL of a non-transactional email.
    pub fn unsubscribe_url(&self) -> Option<&str> {
        match self {
            EmailKind::Survey { unsubscribe, .. } => unsubscribe.as_deref(),
            _ => None,
        }
    }
}

/// What a one-click unsubscribe stops, for which address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    pub token_hash: String,
    /// The kind of email it stops (`surveys`).
    pub stops: String,
    /// The address's hash (the suppression list's key).
    pub email_hash: String,
    pub created_at: String,
    /// Epoch seconds: the token's end (item TTL).
    pub expires_at: i64,
}

impl Entity for Unsubscribe {
    const KIND: &'static str = "unsubscribe";

    fn key(&self) -> Key {
        keys::unsubscribe(&self.token_hash)
    }
}

/// How long an unsubscribe link in an email keeps working.
pub const UNSUBSCRIBE_VALID_DAYS: i64 = 400;

/// A new unsubscribe token for `email` (stored hashed) and its one-click URL, under
/// `base_url` (the portal's, which serves the API at `/v1`).
pub fn unsubscribe_for(
    email: &str,
    stops: &str,
    base_url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> (Unsubscribe, String) {
    let token = crate::crypto::random_token();
    let item = Unsubscribe {
        token_hash: crate::crypto::token_hash(&token),
        stops: stops.to_string(),
        email_hash: address_hash(email),
        created_at: crate::validate::rfc3339(now),
        expires_at: (now + chrono::Duration::days(UNSUBSCRIBE_VALID_DAYS)).timestamp(),
    };
    let url = format!(
        "{}/v1/public/unsubscribe/{token}",
        base_url.trim_end_matches('/')
    );
    (item, url)
}

/// Sends one outbox email and removes it from the outbox. Delivery is at least once: if
/// the removal fails after the send, a retry sends it again rather than never.
pub async fn deliver(
    mailer: &Mailer,
    store: &crate::store::Store,
    email: &OutboxEmail,
) -> Result<(), SendError> {
    let suppressed = !email.kind.transactional()
        && store
            .get::<Suppression>(&suppression_key(&email.to))
            .await
            .map_err(|e| SendError(format!("reading the suppression list: {e}")))?
            .is_some();
    if suppressed {
        tracing::info!(email_id = %email.id, "not sent: the address is on the suppression list");
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
