//! Zoho CRM REST v8: the shared access token and the record calls the sync uses.
//!
//! **Token broker.** Zoho caps the live access tokens per refresh token, so instances do
//! not refresh on their own: the token (with its `api_domain`, which differs per data
//! centre) lives in one table item with its expiry. An instance whose token is missing,
//! expiring or refused takes a conditional lock on that item, refreshes, and stores the
//! new token; the others wait for it. A process also keeps the token in memory.
//!
//! **Calls** retry 429, 5xx and transport errors/timeouts with capped exponential backoff
//! and full jitter; a 401 `INVALID_TOKEN` gets one token refresh, then one retry.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

use super::settings::Retry;
use crate::config::Secret;
use crate::secrets::{SecretError, Secrets};
use crate::store::{Patch, Store, StoreError, keys};

/// `ZOHO_CREDENTIALS_SECRET_ARN`: the OAuth client and refresh token.
#[derive(Deserialize)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub refresh_token: Secret<String>,
    /// The accounts server of the org's data centre, e.g. `https://accounts.zoho.eu`.
    pub accounts_url: String,
}

/// A failed Zoho call. The texts of `Unavailable`, `Credentials` and `Rejected` are plain
/// reasons (operations read them as a record's `crm_sync.last_error`): they never carry a
/// URL, a token or a secret. The HTTP client's own error, with the URL, is logged where it
/// happens.
#[derive(Debug, thiserror::Error)]
pub enum ZohoError {
    /// 429, 5xx, timeouts: worth retrying later.
    #[error("{0}")]
    Unavailable(String),
    /// The credentials were refused (refresh failed, or 401 after a fresh token).
    #[error("{0}")]
    Credentials(String),
    /// Zoho refused the request itself (4xx other than 401/429): Zoho's code and message.
    #[error("Zoho refused the request (HTTP {status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ZohoError {
    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        !matches!(self, ZohoError::Rejected { .. })
    }

    /// What went wrong in plain words, to store on the record and show operations: no URL,
    /// token or secret name (the error's `Display` may name the secret or the table: log
    /// that).
    pub fn reason(&self) -> String {
        match self {
            ZohoError::Secret(_) => "the Zoho credentials could not be read".into(),
            ZohoError::Store(_) => "the portal's table could not be read or written".into(),
            other => other.to_string(),
        }
    }
}

/// A request that got no answer, in plain words: `who` (`Zoho`, `Zoho's token endpoint`)
/// did not answer and why, without the URL the client's error names.
fn no_answer(who: &str, e: reqwest::Error) -> String {
    let why = if e.is_timeout() {
        "timeout".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        e.without_url().to_string()
    };
    format!("{who} did not answer ({why})")
}

/// ` CODE` when Zoho's answer named an error code.
fn code_suffix(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(" {code}")
    }
}

/// One record's result in a write answer (`data[i]`).
#[derive(Debug, Clone, Deserialize)]
pub struct RecordResult {
    pub code: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub details: Value,
}

impl RecordResult {
    pub fn id(&self) -> Option<&str> {
        self.details.get("id").and_then(Value::as_str)
    }

    pub fn api_name(&self) -> Option<&str> {
        self.details.get("api_name").and_then(Value::as_str)
    }
}

#[derive(Clone)]
struct AccessToken {
    token: Secret<String>,
    api_domain: String,
    expires_at: i64,
}

impl AccessToken {
    /// Not within [`EARLY_SECS`] of Zoho's expiry.
    fn is_fresh(&self) -> bool {
        self.expires_at - EARLY_SECS > now_secs()
    }
}

/// The stored token item.
#[derive(Deserialize)]
struct TokenItem {
    #[serde(default)]
    access_token: Option<Secret<String>>,
    #[serde(default)]
    api_domain: Option<String>,
    #[serde(default)]
    token_expires_at: Option<i64>,
}

tokio::task_local! {
    /// When the running invocation must have answered (Lambda's deadline), if known.
    static DEADLINE: Option<std::time::Instant>;
}

/// Time kept free before the invocation's deadline, to record outcomes and answer: this
/// much, or a quarter of the invocation's time if that is shorter.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(3);

/// Runs `work` with the invocation's deadline in view: every Zoho call within it shortens
/// its timeout and stops retrying so that the invocation answers before Lambda ends it
/// (a timed-out invocation fails its whole batch, healthy messages included).
pub async fn within_deadline<F: std::future::Future>(
    deadline: Option<std::time::Instant>,
    work: F,
) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// The instant by which the work of a Lambda invocation must be done: its deadline
/// (`deadline_ms`, epoch milliseconds) less the margin. A value that is no epoch time of
/// today (0 in tests; local runners that send a plain timeout) means "unknown".
pub fn deadline_from_epoch_ms(deadline_ms: u64) -> Option<std::time::Instant> {
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    if deadline_ms < now_ms.saturating_sub(24 * 3600 * 1000) {
        return None;
    }
    let total = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    let margin = DEADLINE_MARGIN.min(total / 4);
    Some(std::time::Instant::now() + total - margin)
}

/// Time left for work in the current invocation (None: no deadline).
pub fn time_left() -> Option<Duration> {
    time_left_until(DEADLINE.try_with(|d| *d).ok().flatten())
}

/// Time left until `deadline` (from [`deadline_from_epoch_ms`]).
pub fn time_left_until(deadline: Option<std::time::Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()))
}

/// What the stored access token's ciphertext is bound to.
const TOKEN_AAD: &str = "crm-token";

/// Tokens are renewed this long before Zoho's expiry.
const EARLY_SECS: i64 = 120;
/// How long a refresh lock is held at most (a crashed holder frees it by expiry).
const LOCK_SECS: i64 = 20;

/// A Zoho client for one execution environment.
pub struct Zoho {
    http: reqwest::Client,
    store: Store,
    secrets: Secrets,
    credentials_id: String,
    retry: Retry,
    cached: Mutex<Option<AccessToken>>,
    /// The stored token's cipher, derived once per cold start.
    cipher: tokio::sync::OnceCell<crate::crypto::FieldCipher>,
}

/// A page of records modified since a time.
pub struct ModifiedPage {
    pub records: Vec<Value>,
    pub next_page_token: Option<String>,
}

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Parses Zoho's `Modified_Time` (ISO 8601 with offset).
pub fn parse_time(value: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(value).ok()
}

fn jitter(ceiling_ms: u64) -> u64 {
    if ceiling_ms == 0 {
        return 0;
    }
    getrandom::u64().unwrap_or(ceiling_ms / 2) % (ceiling_ms + 1)
}

impl Zoho {
    pub fn new(store: Store, secrets: Secrets, credentials_id: &str, retry: Retry) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(retry.timeout_ms))
            .connect_timeout(Duration::from_millis(retry.timeout_ms.min(5_000)))
            .build()
            .expect("HTTP client");
        Self {
            http,
            store,
            secrets,
            credentials_id: credentials_id.to_string(),
            retry,
            cached: Mutex::new(None),
            cipher: tokio::sync::OnceCell::new(),
        }
    }

    /// Cold-start preparation, so that the first invocation costs about what a warm one
    /// does: derives the stored token's key (one Secrets Manager read) and takes the
    /// stored access token, if it is still fresh, into this instance's cache (one
    /// DynamoDB read, which also opens the table's connection). Never refreshes and never
    /// fails: whatever it could not do is done on first use, as without it.
    pub async fn prepare(&self) {
        let mut cached = self.cached.lock().await;
        match self.stored().await {
            Ok(Some(t)) if t.is_fresh() => *cached = Some(t),
            Ok(_) => {}
            Err(e) => tracing::warn!(
                reason = %e.reason(),
                "the Zoho token could not be prepared at cold start; it is fetched on first use"
            ),
        }
    }

    // ------------------------------------------------------------------ token broker

    /// A usable access token. `refused` is a token Zoho just rejected: it is not handed out
    /// again, so the caller gets a fresh one (refreshed by whichever instance takes the lock).
    async fn token(&self, refused: Option<&str>) -> Result<AccessToken, ZohoError> {
        let mut cached = self.cached.lock().await;
        let fresh = |t: &AccessToken| t.is_fresh() && Some(t.token.expose().as_str()) != refused;
        if let Some(t) = cached.as_ref().filter(|t| fresh(t)) {
            return Ok(t.clone());
        }
        // Up to ~15 s waiting for another instance's refresh.
        for _ in 0..75 {
            if let Some(t) = self.stored().await?.filter(|t| fresh(t)) {
                *cached = Some(t.clone());
                return Ok(t);
            }
            let now = now_secs();
            let lock = Patch::new(&keys::crm_token())
                .set("kind", "crm_token")
                .set("lock_until", now + LOCK_SECS)
                .require_below("lock_until", now);
            match self.store.apply(lock).await {
                Ok(()) => {
                    // Another instance may have stored a new token between our read and
                    // the lock: use it instead of refreshing again.
                    if let Some(t) = self.stored().await?.filter(|t| fresh(t)) {
                        let unlock = Patch::new(&keys::crm_token()).remove("lock_until");
                        self.store.apply(unlock).await?;
                        *cached = Some(t.clone());
                        return Ok(t);
                    }
                    let result = self.refresh().await;
                    let cipher = self.token_cipher().await?;
                    let release = match &result {
                        Ok(t) => Patch::new(&keys::crm_token())
                            .set("access_token", cipher.encrypt(t.token.expose(), TOKEN_AAD))
                            .set("api_domain", &t.api_domain)
                            .set("token_expires_at", t.expires_at)
                            .remove("lock_until"),
                        Err(_) => Patch::new(&keys::crm_token()).remove("lock_until"),
                    };
                    self.store.apply(release).await?;
                    let t = result?;
                    *cached = Some(t.clone());
                    return Ok(t);
                }
                Err(StoreError::Condition(_)) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ZohoError::Unavailable(
            "Zoho's access token was still being refreshed by another instance".into(),
        ))
    }

    /// The token item's current token, if it has one (one that does not decrypt, from
    /// other credentials or stored in clear before, counts as none: it is refreshed).
    async fn stored(&self) -> Result<Option<AccessToken>, ZohoError> {
        let stored: Option<TokenItem> = self.store.get(&keys::crm_token()).await?;
        let Some(TokenItem {
            access_token: Some(sealed),
            api_domain: Some(api_domain),
            token_expires_at: Some(expires_at),
        }) = stored
        else {
            return Ok(None);
        };
        let cipher = self.token_cipher().await?;
        Ok(cipher
            .decrypt(sealed.expose(), TOKEN_AAD)
            .ok()
            .map(|token| AccessToken {
                token: Secret::new(token),
                api_domain,
                expires_at,
            }))
    }

    /// The key the shared access token is stored under: derived from the OAuth client's
    /// secret and refresh token, which only the CRM functions can read, so a function (or
    /// a person) that can read the table cannot use the token.
    async fn token_cipher(&self) -> Result<&crate::crypto::FieldCipher, ZohoError> {
        self.cipher
            .get_or_try_init(|| async {
                let creds: Credentials = self.secrets.json(&self.credentials_id).await?;
                let material = format!(
                    "zoho-access-token\u{0}{}\u{0}{}",
                    creds.client_secret.expose(),
                    creds.refresh_token.expose()
                );
                crate::crypto::FieldCipher::new(material.as_bytes()).map_err(ZohoError::Credentials)
            })
            .await
    }

    /// One call to the accounts server's token endpoint.
    async fn refresh(&self) -> Result<AccessToken, ZohoError> {
        let creds: Credentials = self.secrets.json(&self.credentials_id).await?;
        let url = format!(
            "{}/oauth/v2/token",
            creds.accounts_url.trim_end_matches('/')
        );
        let response = self
            .http
            .post(&url)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", creds.client_id.as_str()),
                ("client_secret", creds.client_secret.expose().as_str()),
                ("refresh_token", creds.refresh_token.expose().as_str()),
            ])
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = ?e, "Zoho's token endpoint did not answer");
                ZohoError::Unavailable(no_answer("Zoho's token endpoint", e))
            })?;
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            return Err(ZohoError::Unavailable(format!(
                "Zoho's token endpoint failed (HTTP {status})"
            )));
        }
        let body: Value = response.json().await.map_err(|e| {
            tracing::warn!(status, error = ?e, "Zoho's token endpoint answered unreadably");
            ZohoError::Unavailable(format!(
                "Zoho's token endpoint answered unreadably (HTTP {status})"
            ))
        })?;
        match (
            body.get("access_token").and_then(Value::as_str),
            body.get("api_domain").and_then(Value::as_str),
        ) {
            (Some(token), Some(domain)) => {
                tracing::info!("Zoho access token refreshed");
                Ok(AccessToken {
                    token: Secret::new(token.to_string()),
                    api_domain: domain.trim_end_matches('/').to_string(),
                    expires_at: now_secs() + body["expires_in"].as_i64().unwrap_or(3600),
                })
            }
            _ => Err(ZohoError::Credentials(format!(
                "Zoho refused the token refresh (HTTP {status} {})",
                body.get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no token")
            ))),
        }
    }

    // ------------------------------------------------------------------ calls

    /// One API call with retries. Returns the status and the JSON body (None when empty).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        if_modified_since: Option<&str>,
    ) -> Result<(u16, Option<Value>), ZohoError> {
        let mut refused: Option<String> = None;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            let left = time_left();
            if left.is_some_and(|l| l.is_zero()) {
                tracing::warn!(%method, path, "no time left in this invocation to call Zoho");
                return Err(ZohoError::Unavailable(
                    "no time was left in this invocation to call Zoho".into(),
                ));
            }
            let token = self.token(refused.as_deref()).await?;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", token.api_domain))
                .header(
                    "Authorization",
                    format!("Zoho-oauthtoken {}", token.token.expose()),
                )
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(since) = if_modified_since {
                request = request.header("If-Modified-Since", since);
            }
            if let Some(left) = left {
                request = request.timeout(left.min(Duration::from_millis(self.retry.timeout_ms)));
            }
            let failure = match request.send().await {
                Err(e) => {
                    tracing::warn!(%method, path, error = ?e, "Zoho did not answer");
                    ZohoError::Unavailable(no_answer("Zoho", e))
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let bytes = response.bytes().await.unwrap_or_default();
                    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
                    let code = json
                        .as_ref()
                        .and_then(|j| j.get("code"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    match status {
                        401 if !refreshed => {
                            // INVALID_TOKEN (or any 401): one refresh, then one retry.
                            refreshed = true;
                            refused = Some(token.token.expose().clone());
                            continue;
                        }
                        401 => ZohoError::Credentials(format!(
                            "Zoho refused the token (HTTP 401{})",
                            code_suffix(&code)
                        )),
                        429 => ZohoError::Unavailable(format!(
                            "Zoho is limiting requests (HTTP 429{})",
                            code_suffix(&code)
                        )),
                        s if s >= 500 => ZohoError::Unavailable(format!(
                            "Zoho failed (HTTP {s}{})",
                            code_suffix(&code)
                        )),
                        s if (400..500).contains(&s) && !has_records(&json) => {
                            return Err(ZohoError::Rejected {
                                status: s,
                                code,
                                message: json
                                    .as_ref()
                                    .and_then(|j| j.get("message"))
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                            });
                        }
                        s => return Ok((s, json)),
                    }
                }
            };
            tracing::warn!(attempt, %method, path, error = %failure, "Zoho call failed");
            if !failure.retryable() || attempt + 1 >= self.retry.attempts {
                return Err(failure);
            }
            let ceiling = self
                .retry
                .cap_ms
                .min(self.retry.base_ms.saturating_mul(1 << attempt.min(20)));
            let pause = Duration::from_millis(jitter(ceiling));
            // A retry needs the pause and a useful part of a request's time before the
            // deadline; otherwise the message is better retried by the queue later.
            if time_left().is_some_and(|l| l < pause + Duration::from_secs(1)) {
                return Err(failure);
            }
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// `GET /crm/v8/{module}/{id}`: the record, or None if Zoho has no such record.
    pub async fn get_record(&self, module: &str, id: &str) -> Result<Option<Value>, ZohoError> {
        let path = format!("/crm/v8/{}/{}", seg(module), seg(id));
        match self
            .call(reqwest::Method::GET, &path, &[], None, None)
            .await
        {
            Ok((_, body)) => Ok(body.and_then(|b| b["data"].get(0).cloned())),
            Err(ZohoError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /crm/v8/{module}/upsert` keyed on `check_field`, or `PUT /crm/v8/{module}`
    /// for records carrying their Zoho `id`. Workflow rules are not triggered (`trigger:
    /// []`): the portal is the source of the change, so no webhook echoes it back.
    pub async fn write(
        &self,
        module: &str,
        record: Value,
        check_field: &str,
    ) -> Result<RecordResult, ZohoError> {
        let (method, path, body) = if record.get("id").is_some() {
            (
                reqwest::Method::PUT,
                format!("/crm/v8/{}", seg(module)),
                json!({"data": [record], "trigger": []}),
            )
        } else {
            (
                reqwest::Method::POST,
                format!("/crm/v8/{}/upsert", seg(module)),
                json!({"data": [record], "duplicate_check_fields": [check_field], "trigger": []}),
            )
        };
        let (status, body) = self.call(method, &path, &[], Some(&body), None).await?;
        body.as_ref()
            .and_then(|b| b["data"].get(0))
            .and_then(|r| serde_json::from_value::<RecordResult>(r.clone()).ok())
            .ok_or_else(|| ZohoError::Rejected {
                status,
                code: "NO_RESULT".into(),
                message: "the answer carried no per-record result".into(),
            })
    }

    /// `GET /crm/v8/{module}` with `If-Modified-Since`, oldest change first, 200 a page.
    pub async fn modified_since(
        &self,
        module: &str,
        fields: &[String],
        since: &str,
        page_token: Option<&str>,
    ) -> Result<ModifiedPage, ZohoError> {
        let mut query = vec![
            ("fields", fields.join(",")),
            ("per_page", "200".to_string()),
            ("sort_by", "Modified_Time".to_string()),
            ("sort_order", "asc".to_string()),
        ];
        if let Some(t) = page_token {
            query.push(("page_token", t.to_string()));
        }
        let path = format!("/crm/v8/{}", seg(module));
        let (_, body) = self
            .call(reqwest::Method::GET, &path, &query, None, Some(since))
            .await?;
        // 204 / 304: nothing modified.
        let Some(body) = body else {
            return Ok(ModifiedPage {
                records: Vec::new(),
                next_page_token: None,
            });
        };
        let records = body["data"].as_array().cloned().unwrap_or_default();
        let more = body["info"]["more_records"].as_bool().unwrap_or(false);
        let next_page_token = body["info"]["next_page_token"]
            .as_str()
            .filter(|_| more)
            .map(str::to_string);
        Ok(ModifiedPage {
            records,
            next_page_token,
        })
    }
}

fn has_records(json: &Option<Value>) -> bool {
    json.as_ref()
        .and_then(|j| j.get("data"))
        .is_some_and(Value::is_array)
}

/// A path segment (module names and ids are alphanumeric; anything else is refused by
/// encoding it).
fn seg(s: &str) -> String {
    url_encode(s)
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Shared by the functions that talk to Zoho.
pub type SharedZoho = Arc<Zoho>;

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn jitter_stays_under_the_ceiling() {
        for _ in 0..100 {
            assert!(jitter(250) <= 250);
        }
        assert_eq!(jitter(0), 0);
    }

    /// What no stored reason may contain: a URL (or its host or path), a token, a secret.
    pub(crate) fn assert_plain(reason: &str) {
        for leak in [
            "://",
            "http:",
            "https:",
            "127.0.0.1",
            "amazonaws",
            "zoho.eu",
            "/oauth",
            "/crm/",
            "token=",
            "arn:",
        ] {
            assert!(
                !reason.to_lowercase().contains(leak),
                "`{reason}` shows {leak}"
            );
        }
    }

    #[tokio::test]
    async fn a_call_without_an_answer_is_told_without_its_url() {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        // A listener that never answers: the connection opens, the answer times out.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/oauth/v2/token?refresh_token=1000.secret",
            silent.local_addr().unwrap()
        );
        let e = client.post(&url).send().await.unwrap_err();
        assert!(
            e.to_string().contains("127.0.0.1"),
            "the client names it: {e}"
        );
        let reason = no_answer("Zoho's token endpoint", e);
        assert_eq!(reason, "Zoho's token endpoint did not answer (timeout)");
        assert_plain(&reason);
        // A closed port: the connection is refused.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/crm/v8/Leads/upsert",
            closed.local_addr().unwrap()
        );
        drop(closed);
        let e = client.get(&url).send().await.unwrap_err();
        let reason = no_answer("Zoho", e);
        assert_eq!(reason, "Zoho did not answer (connection failed)");
        assert_plain(&reason);
        drop(silent);
    }

    #[test]
    fn every_reason_is_plain() {
        let errors = [
            ZohoError::Unavailable("Zoho failed (HTTP 503)".into()),
            ZohoError::Credentials(format!(
                "Zoho refused the token (HTTP 401{})",
                code_suffix("INVALID_TOKEN")
            )),
            ZohoError::Rejected {
                status: 400,
                code: "INVALID_DATA".into(),
                message: "invalid data".into(),
            },
            ZohoError::Secret(SecretError::Fetch {
                id: "arn:aws:secretsmanager:af-south-1:123456789012:secret:zoho".into(),
                cause: "dispatch failure: https://secretsmanager.af-south-1.amazonaws.com/".into(),
            }),
            ZohoError::Store(StoreError::Dynamo(
                "error sending request for url (https://dynamodb.af-south-1.amazonaws.com/)".into(),
            )),
        ];
        for e in &errors {
            assert_plain(&e.reason());
        }
        assert_eq!(
            errors[1].reason(),
            "Zoho refused the token (HTTP 401 INVALID_TOKEN)"
        );
        assert_eq!(
            errors[2].reason(),
            "Zoho refused the request (HTTP 400 INVALID_DATA): invalid data"
        );
    }

    #[test]
    fn zoho_times_with_offsets_compare_as_instants() {
        let a = parse_time("2026-11-21T10:15:30+05:30").unwrap();
        let b = parse_time("2026-11-21T04:45:00+00:00").unwrap();
        assert!(a > b);
        assert!(parse_time("yesterday").is_none());
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;

    #[test]
    fn only_an_epoch_deadline_of_today_bounds_the_work() {
        assert_eq!(deadline_from_epoch_ms(0), None);
        assert_eq!(
            deadline_from_epoch_ms(600_000),
            None,
            "a plain timeout is no deadline"
        );
        let in_ten = (Utc::now().timestamp_millis() + 10_000) as u64;
        let left = time_left_until(deadline_from_epoch_ms(in_ten)).unwrap();
        // Ten seconds keep a quarter (2.5 s) free.
        assert!(
            left <= Duration::from_millis(7_500) && left >= Duration::from_millis(7_000),
            "{left:?}"
        );
        let in_two = (Utc::now().timestamp_millis() + 2_000) as u64;
        let left = time_left_until(deadline_from_epoch_ms(in_two)).unwrap();
        assert!(
            left >= Duration::from_millis(1_400),
            "a short invocation keeps a quarter: {left:?}"
        );
    }
}
