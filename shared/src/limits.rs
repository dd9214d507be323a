//! Rate limits: fixed-window counters, one item per subject and window, taken with one
//! conditional write (no read-then-write race: twenty parallel requests against a limit of
//! five get exactly five tokens). A refused take answers 429 with `Retry-After`.

use chrono::{DateTime, Utc};

use crate::http::Problem;
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
            .on_failure(Failure::conflict(THROTTLED, "throttled"))
    }
}

/// The failure code of a refused take.
pub const THROTTLED: &str = "throttled";

/// Takes one token for `subject`: 429 with `Retry-After` when the window's are used up.
pub async fn take(
    store: &Store,
    scope: &str,
    subject: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    match store.apply(limit.take_patch(scope, subject, now)).await {
        Ok(()) => Ok(()),
        Err(StoreError::Condition(_)) => Err(Problem::too_many_requests(limit.retry_after(now))),
        Err(e) => Err(e.into()),
    }
}

/// Takes one token from each of several limits in one transaction: all or none.
pub async fn take_all(
    store: &Store,
    takes: &[(&str, &str, Limit)],
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let mut tx: TxBuilder<'_> = store.tx();
    for (scope, subject, limit) in takes {
        tx = tx.patch(limit.take_patch(scope, subject, now));
    }
    match store.commit(tx.build()).await {
        Ok(()) => Ok(()),
        Err(StoreError::Condition(_)) => {
            let wait = takes
                .iter()
                .map(|(_, _, l)| l.retry_after(now))
                .max()
                .unwrap_or(1);
            Err(Problem::too_many_requests(wait))
        }
        Err(e) => Err(e.into()),
    }
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
