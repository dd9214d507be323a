//! Scheduled emails, partner by partner through the directory (approved partners only:
//! users of a suspended partner get nothing):
//!
//! - **daily** (`reminders-daily`): each user's follow-ups due today and overdue, from
//!   the follow-up index (no scan), as one digest; and a reminder to the owners of a KYC
//!   document that expires within 30 days (again within 7, and once it has expired).
//! - **weekly** (`summary-weekly`): last ISO week's leads created, won and lost, the
//!   conversion, the score with rank and trend, and (for the roles that see money) the
//!   commissions to date, to each active user who wants it.
//!
//! Each email is written with a mark (`SENT#…`) in one transaction that fails when the
//! mark exists: a schedule that fires twice, or a run that resumes, sends nothing twice.
//! A run saves its place after every page of partners and continues from there.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::config::{ConfigError, Reader, Source};
use crate::identity::model::{User, UserStatus};
use crate::insight::nightly::PartnerScore;
use crate::kyc::{KycDocument, VerificationStatus};
use crate::leads::Lead;
use crate::notifications::{EmailKind, FollowUpLine, OutboxEmail, Topic, preferences_key};
use crate::partners::{Partner, PartnerStatus};
use crate::store::{Entity, Failure, Index, Key, Query, Store, StoreError, keys};
use crate::validate::rfc3339;

use super::ReportsError;
use super::calendar::{lead_label, responsible, users_of};

/// Partners per page (and per saved step).
const PAGE: i32 = 25;
/// Follow-ups listed in one digest; the rest are counted.
const LISTED: usize = 25;
/// Due follow-ups read per partner per day.
const DUE_READ: i32 = 500;
/// KYC documents read per partner.
const KYC_READ: i32 = 100;
/// Marks are kept this long (item TTL), longer than any rerun.
const MARK_DAYS: i64 = 60;

/// Which scheduled email a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Digest {
    Daily,
    Weekly,
}

/// The progress of one run (one day's reminders, one week's summaries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRun {
    /// `daily#2026-11-29`, `weekly#2026-W47`.
    pub run: String,
    /// The directory sort key of the last partner done.
    pub after: Option<String>,
    pub partners: u64,
    pub emails: u64,
    pub done: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
}

impl Entity for DigestRun {
    const KIND: &'static str = "digest_run";

    fn key(&self) -> Key {
        Key::new("DIGEST", format!("RUN#{}", self.run))
    }
}

/// That an email was written (so it is written once).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SentMark {
    partner_id: String,
    what: String,
    at: String,
    /// Epoch seconds (item TTL).
    expires_at: i64,
}

impl Entity for SentMark {
    const KIND: &'static str = "sent_mark";

    fn key(&self) -> Key {
        Key::new(
            keys::partner_partition(&self.partner_id),
            format!("SENT#{}", self.what),
        )
    }
}

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestReport {
    pub run: String,
    pub partners: u64,
    pub emails: u64,
    pub done: bool,
}

/// The scheduled emails' dependencies: the table and the portal's URL.
#[derive(Clone)]
pub struct Digests {
    pub store: Store,
    pub portal_url: String,
    pub page: i32,
}

/// The week before the one `today` is in: its label, Monday and Sunday.
pub fn last_week(today: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    let monday = today - Days::new(today.weekday().num_days_from_monday() as u64 + 7);
    let sunday = monday + Days::new(6);
    (crate::validate::iso_week(monday), monday, sunday)
}

impl Digests {
    /// From the process configuration (`TABLE_NAME`, `PORTAL_URL`).
    pub fn from_config(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = crate::config::Common::read(&mut r);
        let store = crate::config::StoreConfig::read(&mut r);
        let portal_url = r.required("PORTAL_URL");
        r.finish()?;
        Ok(Self {
            store: Store::new(crate::aws::dynamodb(sdk), &store.table_name),
            portal_url,
            page: PAGE,
        })
    }

    /// Runs (or continues) `digest` for the period `now` falls in, until done or
    /// `deadline`.
    pub async fn run(
        &self,
        digest: Digest,
        now: DateTime<Utc>,
        deadline: Option<Instant>,
    ) -> Result<DigestReport, ReportsError> {
        let today = now.date_naive();
        let id = match digest {
            Digest::Daily => format!("daily#{today}"),
            Digest::Weekly => format!("weekly#{}", last_week(today).0),
        };
        let key = Key::new("DIGEST", format!("RUN#{id}"));
        let mut run = self
            .store
            .get::<DigestRun>(&key)
            .await?
            .unwrap_or(DigestRun {
                run: id,
                after: None,
                partners: 0,
                emails: 0,
                done: false,
                started_at: rfc3339(now),
                finished_at: None,
            });
        while !run.done {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let mut q = Query::partition(Some(Index::Lookup), keys::DIRECTORY_ALL, self.page);
            if let Some(after) = &run.after {
                q = q.after(after.clone());
            }
            let partners: Vec<Partner> = self.store.query_up_to(&q).await?;
            match partners.last() {
                None => {
                    run.done = true;
                    run.finished_at = Some(rfc3339(now));
                }
                Some(last) => {
                    run.after = Some(format!("{}#{}", last.created_at, last.id));
                }
            }
            for p in partners
                .iter()
                .filter(|p| p.status == PartnerStatus::Approved)
            {
                run.emails += match digest {
                    Digest::Daily => self.daily_for(p, now).await?,
                    Digest::Weekly => self.weekly_for(p, now).await?,
                };
            }
            run.partners += partners.len() as u64;
            self.store.commit(self.store.tx().put(&run).build()).await?;
        }
        Ok(DigestReport {
            run: run.run,
            partners: run.partners,
            emails: run.emails,
            done: run.done,
        })
    }

    /// Writes `email` with its mark; `false` when the mark exists (already sent).
    async fn send_once(
        &self,
        partner_id: &str,
        what: String,
        email: OutboxEmail,
        now: DateTime<Utc>,
    ) -> Result<bool, ReportsError> {
        let mark = SentMark {
            partner_id: partner_id.to_string(),
            what,
            at: rfc3339(now),
            expires_at: (now + chrono::Duration::days(MARK_DAYS)).timestamp(),
        };
        let tx = self
            .store
            .tx()
            .create(
                &mark,
                Failure::Conflict {
                    code: "already_sent",
                    detail: "already sent".into(),
                },
            )
            .insert(&email)
            .build();
        match self.store.commit(tx).await {
            Ok(()) => Ok(true),
            Err(StoreError::Condition(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Which of `users` want `topic` (one batched read of their preferences).
    async fn wanting<'u>(
        &self,
        users: Vec<&'u User>,
        topic: Topic,
    ) -> Result<Vec<&'u User>, ReportsError> {
        let wanted: Vec<Key> = users.iter().map(|u| preferences_key(&u.email)).collect();
        let mut fetched = self.store.fetch(&wanted).await?;
        let mut out = Vec::new();
        for (user, key) in users.into_iter().zip(&wanted) {
            let prefs: Option<crate::notifications::EmailPreferences> = fetched.take(key)?;
            if prefs.is_none_or(|p| p.wants(topic)) {
                out.push(user);
            }
        }
        Ok(out)
    }

    async fn daily_for(&self, partner: &Partner, now: DateTime<Utc>) -> Result<u64, ReportsError> {
        let today = now.date_naive();
        let tomorrow = today + Days::new(1);
        let users = users_of(&self.store, &partner.id).await?;
        let due_q = Query::partition(Some(Index::Due), keys::follow_ups(&partner.id), DUE_READ)
            .below(format!("{tomorrow}T00:00:00Z"));
        let kyc_q = Query::partition(None, keys::partner_partition(&partner.id), KYC_READ)
            .prefix(keys::KYC_PREFIX);
        let (due, docs) = tokio::join!(
            self.store.first_page::<Lead>(&due_q),
            self.store.first_page::<KycDocument>(&kyc_q)
        );
        let (due, docs) = (due?, docs?);
        let mut sent = 0;

        // Follow-ups: one digest per responsible user.
        let mut per_user: BTreeMap<String, Vec<&Lead>> = BTreeMap::new();
        for lead in &due {
            for u in responsible(lead, &users) {
                per_user.entry(u.id.clone()).or_default().push(lead);
            }
        }
        let candidates: Vec<&User> = per_user.keys().filter_map(|id| users.get(id)).collect();
        let now_text = rfc3339(now);
        for user in self.wanting(candidates, Topic::FollowUpReminders).await? {
            let leads = &per_user[&user.id];
            let line = |l: &&Lead| FollowUpLine {
                lead_id: l.id.clone(),
                lead: lead_label(l),
                due: l
                    .next_follow_up_at
                    .as_deref()
                    .map(display_time)
                    .unwrap_or_default(),
            };
            let (overdue, later): (Vec<&Lead>, Vec<&Lead>) = leads.iter().partition(|l| {
                l.next_follow_up_at
                    .as_deref()
                    .is_some_and(|d| d < now_text.as_str())
            });
            let overdue_lines: Vec<FollowUpLine> = overdue.iter().take(LISTED).map(line).collect();
            let today_lines: Vec<FollowUpLine> = later
                .iter()
                .take(LISTED.saturating_sub(overdue_lines.len()))
                .map(line)
                .collect();
            let more = (leads.len() - overdue_lines.len() - today_lines.len()) as u64;
            let email = OutboxEmail::new(
                &user.email,
                EmailKind::FollowUpDigest {
                    first_name: user.first_name.clone(),
                    date: today.to_string(),
                    overdue: overdue_lines,
                    today: today_lines,
                    more,
                },
                &now_text,
            );
            if self
                .send_once(
                    &partner.id,
                    format!("followups#{today}#{}", user.id),
                    email,
                    now,
                )
                .await?
            {
                sent += 1;
            }
        }

        // KYC documents that expire within 30 days: the owners, at 30, 7 and 0 days.
        let owners: Vec<&User> = users
            .values()
            .filter(|u| u.status == UserStatus::Active && u.role == Role::Owner)
            .collect();
        for doc in docs
            .iter()
            .filter(|d| d.verification_status != VerificationStatus::Rejected)
        {
            let Some(expires) = doc
                .expires_on
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            else {
                continue;
            };
            let days_left = (expires - today).num_days();
            let stage = match days_left {
                d if d < 0 => "expired",
                0..=7 => "7",
                8..=30 => "30",
                _ => continue,
            };
            for owner in &owners {
                let email = OutboxEmail::new(
                    &owner.email,
                    EmailKind::KycExpiring {
                        business_name: partner.business_name.clone(),
                        document_type: doc.document_type.as_str().to_string(),
                        expires_on: expires.to_string(),
                        days_left,
                    },
                    &now_text,
                );
                let what = format!("kyc#{}#{expires}#{stage}#{}", doc.id, owner.id);
                if self.send_once(&partner.id, what, email, now).await? {
                    sent += 1;
                }
            }
        }
        Ok(sent)
    }

    async fn weekly_for(&self, partner: &Partner, now: DateTime<Utc>) -> Result<u64, ReportsError> {
        let (week, monday, sunday) = last_week(now.date_naive());
        let week_key = keys::partner_week(&partner.id, &week);
        let score_key = keys::partner_score(&partner.id);
        let totals_key = keys::commission_totals(&partner.id);
        let wanted = [week_key.clone(), score_key.clone(), totals_key.clone()];
        let (users, fetched) = tokio::join!(
            users_of(&self.store, &partner.id),
            self.store.fetch(&wanted)
        );
        let (users, mut fetched) = (users?, fetched?);
        let counts: BTreeMap<String, serde_json::Value> =
            fetched.take(&week_key)?.unwrap_or_default();
        let count = |attr: &str| counts.get(attr).and_then(|v| v.as_i64()).unwrap_or(0);
        let (created, won, lost) = (
            count("leads_created"),
            count("leads_won"),
            count("leads_lost"),
        );
        let conversion = if won + lost > 0 {
            format!("{}%", (won * 100 + (won + lost) / 2) / (won + lost))
        } else {
            "not available (no lead closed)".to_string()
        };
        let score = match fetched.take::<PartnerScore>(&score_key)? {
            Some(s) => format!(
                "{:.1} (rank {} of {}{})",
                s.value,
                s.rank,
                s.of,
                match (s.trend.as_deref(), s.delta_30d) {
                    (Some(t), Some(d)) => format!(", {t} {:+.1} in 30 days", d),
                    _ => String::new(),
                }
            ),
            None => "not available yet".to_string(),
        };
        let commissions: Vec<String> =
            crate::commissions::totals::summarise(fetched.take(&totals_key)?)
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} earned, {} paid, {} to be paid",
                        c.currency.code(),
                        c.earned.display(),
                        c.paid.display(),
                        c.balance.display()
                    )
                })
                .collect();
        let mut active: Vec<&User> = users
            .values()
            .filter(|u| u.status == UserStatus::Active)
            .collect();
        active.sort_by(|a, b| a.id.cmp(&b.id));
        let now_text = rfc3339(now);
        let mut sent = 0;
        for user in self.wanting(active, Topic::WeeklySummary).await? {
            let sees_money = matches!(user.role, Role::Owner | Role::Manager | Role::Finance);
            let email = OutboxEmail::new(
                &user.email,
                EmailKind::WeeklySummary {
                    first_name: user.first_name.clone(),
                    business_name: partner.business_name.clone(),
                    week: format!("{monday} to {sunday}"),
                    leads_new: created,
                    leads_won: won,
                    leads_lost: lost,
                    conversion: conversion.clone(),
                    score: score.clone(),
                    commissions: sees_money.then(|| commissions.clone()),
                },
                &now_text,
            );
            if self
                .send_once(
                    &partner.id,
                    format!("weekly#{week}#{}", user.id),
                    email,
                    now,
                )
                .await?
            {
                sent += 1;
            }
        }
        Ok(sent)
    }
}

impl Digests {
    /// A scheduled invocation: runs `digest` until done or a little before the
    /// invocation's `deadline`. An unfinished run fails the invocation (its place is
    /// saved), so Lambda's asynchronous retry continues it, then the on-failure queue.
    pub async fn scheduled(
        &self,
        digest: Digest,
        deadline: Option<Instant>,
    ) -> Result<DigestReport, lambda_http::lambda_runtime::Diagnostic> {
        let report = self
            .run(digest, Utc::now(), deadline)
            .await
            .map_err(|e| crate::fault::diagnostic("sending scheduled emails", &e))?;
        tracing::info!(?report, "scheduled emails");
        if !report.done {
            return Err(lambda_http::lambda_runtime::Diagnostic {
                error_type: "Unfinished".into(),
                error_message: format!(
                    "stopped before the deadline after {} partners of {}; the retry continues",
                    report.partners, report.run
                ),
            });
        }
        Ok(report)
    }
}

/// `2026-11-29 14:00 UTC` from an RFC 3339 instant.
fn display_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|d| {
            d.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_week_is_the_complete_iso_week_before_today() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            last_week(monday),
            (
                "2026-W48".to_string(),
                NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
            )
        );
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(last_week(sunday).0, "2026-W47");
        // Early January belongs to the previous ISO year's last week.
        let jan = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        assert_eq!(last_week(jan).0, "2026-W53");
    }
}
