//! Rate limits: fixed-window counters, one item per subject and window, taken with one
//! conditional write (no read-then-write race: twenty parallel requests against a limit of
//! five get exactly five tokens). A refused take answers 429 with `Retry-After`.

use chrono::{DateTime, Utc};

use crate::store::{Failure, Key, Patch, Store, StoreError, TxBuilder, keys};

/// At most `max` per `window_secs` for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_secs: i64,
}

impl Limit {
    pub const fn per_15_min(max: i64) -> Self {
        Self {
            max,
            window_secs: 15 * 60,
        }
    }

    pub const fn per_hour(max: i64) -> Self {
        Self {
            max,
            window_secs: 3600,
        }
    }

    pub const fn per_day(max: i64) -> Self {
        Self {
            max,
            window_secs: 24 * 3600,
        }
    }

    fn window(self, now: DateTime<Utc>) -> i64 {
        now.timestamp() / self.window_secs
    }

    /// Seconds until the current window ends.
    pub fn retry_after(self, now: DateTime<Utc>) -> u64 {
        ((self.window(now) + 1) * self.window_secs - now.timestamp()).max(1) as u64
    }

    /// The counter item of `subject` in `scope` for the current window.
    pub fn key(self, scope: &str, subject: &str, now: DateTime<Utc>) -> Key {
        keys::throttle(scope, &format!("{subject}#{}", self.window(now)))
    }

    /// The conditional write that takes one token (fails when none is left).
    pub fn take_patch(self, scope: &str, subject: &str, now: DateTime<Utc>) -> Patch {
        let window = self.window(now);
        Patch::new(&self.key(scope, subject, now))
            .add("count", 1)
            .set(keys::KIND, "throttle")
            .set(keys::EXPIRES_AT, (window + 2) * self.window_secs)
            .require_below("count", self.max)
            .on_failure(Failure::Throttled {
                retry_after: self.retry_after(now),
            })
    }
}

/// Every rate limit of the portal, per stage: `RATE_LIMITS` (JSON; any field may be
/// given, the rest keep these defaults). Under the local stack every client arrives from
/// 127.0.0.1, so `source_factor` raises every per-source limit there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Sign-in attempts per submitted email (account or not), per 15 minutes.
    pub login_per_email: i64,
    /// Failed sign-ins per source address, per 15 minutes.
    pub login_per_source: i64,
    /// Password-reset requests per submitted email, per hour.
    pub resets_per_email: i64,
    /// Password-reset requests per source address, per hour.
    pub resets_per_source: i64,
    /// Partner applications per source address, per hour.
    pub registrations_per_source: i64,
    /// Invitations a partner sends, per day.
    pub invitations_per_partner: i64,
    /// Leads a partner registers in the portal, per day.
    pub leads_per_partner: i64,
    /// Upload requests (KYC documents, attachments, logos) per partner, per day.
    pub uploads_per_partner: i64,
    /// Declared bytes of those uploads per partner, per day.
    pub upload_bytes_per_partner: i64,
    /// Customer survey answers (and attempts) per source address, per hour.
    pub feedback_per_source: i64,
    /// One-click unsubscribes (and attempts) per source address, per hour.
    pub unsubscribes_per_source: i64,
    /// Multiplies every per-source limit.
    pub source_factor: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            login_per_email: 5,
            login_per_source: 50,
            resets_per_email: 3,
            resets_per_source: 30,
            registrations_per_source: 10,
            invitations_per_partner: 50,
            leads_per_partner: 500,
            uploads_per_partner: 200,
            upload_bytes_per_partner: 1024 * 1024 * 1024,
            feedback_per_source: 20,
            unsubscribes_per_source: 30,
            source_factor: 1,
        }
    }
}

impl std::str::FromStr for Limits {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(Some(s))
    }
}

impl Limits {
    /// `RATE_LIMITS`' value: empty means the defaults; unknown fields are refused (a typo
    /// must fail the cold start, not silently keep a default).
    pub fn parse(json: Option<&str>) -> Result<Self, String> {
        match json.map(str::trim).filter(|j| !j.is_empty()) {
            None => Ok(Self::default()),
            Some(j) => {
                let limits: Self = serde_json::from_str(j).map_err(|e| e.to_string())?;
                if limits.source_factor < 1 {
                    return Err("source_factor must be at least 1".into());
                }
                Ok(limits)
            }
        }
    }

    pub fn login_per_email(&self) -> Limit {
        Limit::per_15_min(self.login_per_email)
    }
    pub fn login_per_source(&self) -> Limit {
        Limit::per_15_min(self.login_per_source * self.source_factor)
    }
    pub fn resets_per_email(&self) -> Limit {
        Limit::per_hour(self.resets_per_email)
    }
    pub fn resets_per_source(&self) -> Limit {
        Limit::per_hour(self.resets_per_source * self.source_factor)
    }
    pub fn registrations_per_source(&self) -> Limit {
        Limit::per_hour(self.registrations_per_source * self.source_factor)
    }
    pub fn invitations_per_partner(&self) -> Limit {
        Limit::per_day(self.invitations_per_partner)
    }
    pub fn leads_per_partner(&self) -> Limit {
        Limit::per_day(self.leads_per_partner)
    }
    pub fn feedback_per_source(&self) -> Limit {
        Limit::per_hour(self.feedback_per_source * self.source_factor)
    }
    pub fn unsubscribes_per_source(&self) -> Limit {
        Limit::per_hour(self.unsubscribes_per_source * self.source_factor)
    }
    /// What every upload request spends: one upload and its declared bytes.
    pub fn uploads(&self) -> UploadBudget {
        UploadBudget {
            count: Limit::per_day(self.uploads_per_partner),
            bytes: Limit::per_day(self.upload_bytes_per_partner),
        }
    }
}

/// A partner's daily upload allowance: a number of upload requests and a number of
/// declared bytes, both taken in the transaction that records the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadBudget {
    pub count: Limit,
    pub bytes: Limit,
}

impl UploadBudget {
    /// Adds to `tx` the conditional writes that spend one upload of `size` bytes for
    /// `partner_id` (the transaction fails with 429 when either is used up).
    pub fn spend<'a>(
        self,
        tx: TxBuilder<'a>,
        partner_id: &str,
        size: u64,
        now: DateTime<Utc>,
    ) -> TxBuilder<'a> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let window = self.bytes.window(now);
        // The bytes already declared plus this upload must fit: `count + size <= max`.
        let mut bytes = Patch::new(&self.bytes.key("upload-bytes-partner", partner_id, now))
            .add("count", size)
            .set(keys::KIND, "throttle")
            .set(keys::EXPIRES_AT, (window + 2) * self.bytes.window_secs)
            .require_below("count", self.bytes.max - size + 1);
        if size > self.bytes.max {
            // Larger than a whole day's allowance: a condition no item meets.
            bytes = bytes.require_gt("count", i64::MAX);
        }
        let bytes = bytes.on_failure(Failure::Throttled {
            retry_after: self.bytes.retry_after(now),
        });
        tx.patch(self.count.take_patch("uploads-partner", partner_id, now))
            .patch(bytes)
    }
}

/// Takes one token for `subject`: 429 with `Retry-After` when the window's are used up.
pub async fn take(
    store: &Store,
    scope: &str,
    subject: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.apply(limit.take_patch(scope, subject, now)).await
}

/// Takes one token from each of several limits in one transaction: all or none.
pub async fn take_all(
    store: &Store,
    takes: &[(&str, &str, Limit)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx: TxBuilder<'_> = store.tx();
    for (scope, subject, limit) in takes {
        tx = tx.patch(limit.take_patch(scope, subject, now));
    }
    store.commit(tx.build()).await
}

/// Gives a token back (a success that should not count), within the same window.
pub fn refund(limit: Limit, scope: &str, subject: &str, now: DateTime<Utc>) -> Patch {
    Patch::new(&limit.key(scope, subject, now))
        .add("count", -1)
        .require_exists()
}

/// Empties the current window (a success that resets the count).
pub fn reset(limit: Limit, scope: &str, subject: &str, now: DateTime<Utc>) -> Patch {
    Patch::new(&limit.key(scope, subject, now)).set("count", 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn limits_default_and_override_by_name_and_refuse_typos() {
        assert_eq!(Limits::parse(None).unwrap(), Limits::default());
        assert_eq!(Limits::parse(Some(" ")).unwrap(), Limits::default());
        let local = Limits::parse(Some(r#"{"source_factor": 100}"#)).unwrap();
        assert_eq!(local.login_per_source().max, 5000);
        assert_eq!(local.login_per_email().max, 5);
        assert!(Limits::parse(Some(r#"{"login_per_emial": 3}"#)).is_err());
        assert!(Limits::parse(Some(r#"{"source_factor": 0}"#)).is_err());
    }

    #[test]
    fn windows_are_fixed_and_retry_after_counts_to_the_end_of_one() {
        let limit = Limit::per_15_min(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 14, 0).unwrap();
        assert_eq!(limit.retry_after(t), 60);
        let next = Utc.with_ymd_and_hms(2026, 1, 1, 10, 15, 0).unwrap();
        assert_ne!(limit.key("s", "x", t), limit.key("s", "x", next));
        assert_eq!(
            limit.key("s", "x", t),
            limit.key(
                "s",
                "x",
                Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 1).unwrap()
            )
        );
    }
}
