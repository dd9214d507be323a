//! Customer feedback: when a lead is won (the CRM wins leads; operations can also send one
//! on demand) its contact is emailed a survey link holding a random 256-bit token (stored only as its hash; valid
//! [`SURVEY_VALID_DAYS`] days, answerable once). The answer — a score 0–10 and an optional
//! comment — is stored under the partner with the partner's NPS counters in one
//! transaction; the partner lists the answers with their NPS and replies to comments.
//! Survey emails are not transactional: each carries a one-click unsubscribe (RFC 8058)
//! that turns surveys off for its address (`notifications::preferences`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{NoPartner, Principal};
use crate::crypto::{random_token, token_hash};
use crate::fault::{FieldError, Invalid};
use crate::limits::Limit;
use crate::notifications::{EmailKind, OutboxEmail};
use crate::store::{Entity, Failure, Key, Page, Patch, Query, Store, StoreError, TxBuilder, keys};
use crate::validate::{optional, rfc3339};

/// How long a survey link can be answered.
pub const SURVEY_VALID_DAYS: i64 = 30;
/// Longest comment and reply, in characters.
pub const COMMENT_MAX_CHARS: usize = 2000;

/// A survey sent, found by its token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub token_hash: String,
    pub lead_id: String,
    pub partner_id: String,
    pub sent_at: String,
    /// Epoch seconds: the link's end, and the item's expiry (TTL).
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
}

impl Entity for Survey {
    const KIND: &'static str = "survey";

    fn key(&self) -> Key {
        keys::survey(&self.token_hash)
    }
}

/// One customer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    pub score: u8,
    pub comment: Option<String>,
    pub responded_at: String,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub replied_by: Option<String>,
    pub version: u64,
}

impl Entity for Feedback {
    const KIND: &'static str = "feedback";

    fn key(&self) -> Key {
        keys::feedback(&self.partner_id, &self.id)
    }
}

/// Who a survey goes to.
pub struct SurveyTarget<'a> {
    pub lead_id: &'a str,
    pub partner_id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub business_name: &'a str,
}

/// The survey page a link opens (the web portal's `/feedback/<token>`).
pub fn survey_link(portal_url: &str, token: &str) -> String {
    format!("{}/feedback/{token}", portal_url.trim_end_matches('/'))
}

/// Adds a new survey and its email to `tx`.
pub fn issue<'a>(
    tx: TxBuilder<'a>,
    target: &SurveyTarget<'_>,
    portal_url: &str,
    now: DateTime<Utc>,
) -> TxBuilder<'a> {
    let token = random_token();
    let at = rfc3339(now);
    let survey = Survey {
        token_hash: token_hash(&token),
        lead_id: target.lead_id.to_string(),
        partner_id: target.partner_id.to_string(),
        sent_at: at.clone(),
        expires_at: (now + Duration::days(SURVEY_VALID_DAYS)).timestamp(),
        answered_at: None,
    };
    let email = OutboxEmail::new(
        target.email,
        EmailKind::Survey {
            first_name: target.first_name.to_string(),
            business_name: target.business_name.to_string(),
            link: survey_link(portal_url, &token),
        },
        &at,
    );
    tx.insert(&survey).insert(&email)
}

/// `POST /v1/public/feedback/{token}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The NPS counter an answer adds to: promoters 9–10, passives 7–8, detractors 0–6.
pub fn nps_counter(score: u8) -> &'static str {
    match score {
        9..=10 => "feedback_promoters",
        7..=8 => "feedback_passives",
        _ => "feedback_detractors",
    }
}

/// What can go wrong with feedback.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("This survey link is not valid.")]
    UnknownSurvey,
    #[error("This survey link has expired.")]
    Expired,
    #[error("This survey was already answered. Thank you!")]
    Answered,
    #[error("No such feedback.")]
    NoFeedback,
    #[error(transparent)]
    NoPartner(#[from] NoPartner),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::fault::Fault for FeedbackError {
    fn kind(&self) -> crate::fault::Kind {
        use crate::fault::Kind;
        match self {
            FeedbackError::Invalid(e) => e.kind(),
            FeedbackError::UnknownSurvey | FeedbackError::NoFeedback => Kind::NotFound,
            FeedbackError::Expired => Kind::Gone,
            FeedbackError::Answered => Kind::Conflict,
            FeedbackError::NoPartner(e) => e.kind(),
            FeedbackError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            FeedbackError::Invalid(e) => e.code(),
            FeedbackError::UnknownSurvey => "survey_not_found",
            FeedbackError::Expired => "survey_expired",
            FeedbackError::Answered => "survey_answered",
            FeedbackError::NoFeedback => "feedback_not_found",
            FeedbackError::NoPartner(e) => e.code(),
            FeedbackError::Store(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            FeedbackError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            FeedbackError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// Stores a customer's answer: checks the answer, takes one of the source's attempts
/// (forged links count too), then in one transaction marks the survey answered (once),
/// stores the feedback and adds to the partner's NPS counters.
pub async fn answer(
    store: &Store,
    token: &str,
    req: Answer,
    source: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Feedback, FeedbackError> {
    let mut e = Vec::new();
    if !(0..=10).contains(&req.score) {
        e.push(FieldError::new("/score", "must be an integer from 0 to 10"));
    }
    let comment = optional(&mut e, "/comment", &req.comment, COMMENT_MAX_CHARS);
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    store
        .apply(limit.take_patch("feedback", source, now))
        .await?;
    let hash = token_hash(token);
    let survey: Survey = store
        .get(&keys::survey(&hash))
        .await?
        .ok_or(FeedbackError::UnknownSurvey)?;
    if survey.answered_at.is_some() {
        return Err(FeedbackError::Answered);
    }
    if survey.expires_at <= now.timestamp() {
        return Err(FeedbackError::Expired);
    }
    let at = rfc3339(now);
    let score = req.score as u8;
    let feedback = Feedback {
        id: ulid::Ulid::new().to_string(),
        partner_id: survey.partner_id.clone(),
        lead_id: survey.lead_id.clone(),
        score,
        comment,
        responded_at: at.clone(),
        reply: None,
        replied_at: None,
        replied_by: None,
        version: 1,
    };
    let tx = store
        .tx()
        .patch(
            Patch::new(&survey.key())
                .set("answered_at", &at)
                .require_exists()
                .require_unset("answered_at")
                .on_failure(Failure::Conflict {
                    code: "survey_answered",
                    detail: "This survey was already answered. Thank you!".into(),
                }),
        )
        .insert(&feedback)
        .add(
            &keys::partner_counters(&survey.partner_id),
            "partner_counters",
            &[(nps_counter(score), 1)],
        );
    match store.commit(tx.build()).await {
        Err(StoreError::Condition(_)) => Err(FeedbackError::Answered),
        other => other.map(|_| feedback).map_err(Into::into),
    }
}

/// A page of the partner's feedback, newest first.
pub async fn list(
    store: &Store,
    principal: &Principal,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Feedback>, FeedbackError> {
    let p = principal.partner_id()?;
    let q = Query::partition(None, keys::partner_partition(p), limit)
        .prefix(keys::FEEDBACK_PREFIX)
        .newest_first();
    Ok(store.query(&q, cursor).await?)
}

/// A feedback item as the partner sees it.
pub fn view(f: &Feedback) -> serde_json::Value {
    serde_json::json!({
        "id": f.id,
        "lead_id": f.lead_id,
        "score": f.score,
        "comment": f.comment,
        "responded_at": f.responded_at,
        "reply": f.reply,
        "replied_at": f.replied_at,
    })
}

/// `POST /v1/feedback/{id}/reply`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub reply: String,
}

/// The partner's public reply to one of its answers (a new reply replaces the last).
pub async fn reply(
    store: &Store,
    principal: &Principal,
    feedback_id: &str,
    req: Reply,
    now: DateTime<Utc>,
) -> Result<Feedback, FeedbackError> {
    let p = principal.partner_id()?;
    let mut e = Vec::new();
    let text = crate::validate::required(&mut e, "/reply", &req.reply, COMMENT_MAX_CHARS);
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let key = keys::feedback(p, feedback_id);
    let at = rfc3339(now);
    let patch = Patch::new(&key)
        .set("reply", &text)
        .set("replied_at", &at)
        .set("replied_by", &principal.user_id)
        .add("version", 1)
        .require_exists()
        .on_failure(Failure::Missing { what: "feedback" });
    match store.apply(patch).await {
        Err(StoreError::Condition(Failure::Missing { .. })) => {
            return Err(FeedbackError::NoFeedback);
        }
        other => other?,
    }
    store.get(&key).await?.ok_or(FeedbackError::NoFeedback)
}
