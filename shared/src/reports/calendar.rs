//! The calendar feed of a user's lead follow-ups (RFC 5545), for a calendar app to
//! subscribe to. The feed's URL holds a signed token naming the partner, the user and the
//! link's version; `DELETE /v1/me/calendar` revokes it (the next `GET` issues a link of a
//! new version, so an old link never works again). The feed answers only while the link
//! is current, the user active and the partner approved.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::crypto::Signer;
use crate::identity::access::Access;
use crate::identity::model::{User, UserStatus};
use crate::leads::Lead;
use crate::partners::{Partner, PartnerStatus};
use crate::store::{Entity, Failure, Index, Key, Patch, Query, Store, StoreError, keys};
use crate::validate::rfc3339;

use super::ReportsError;

const SCOPE: &str = "calendar";
/// Follow-ups this far back stay in the feed (overdue ones).
const PAST_DAYS: i64 = 30;
/// And this far ahead.
const AHEAD_DAYS: i64 = 365;
/// At most this many events (the soonest first).
const MAX_EVENTS: i32 = 500;
/// Users of one partner read to attribute leads (a partner's team is small).
const MAX_USERS: i32 = 200;

/// The state of a user's calendar link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarLink {
    pub partner_id: String,
    pub user_id: String,
    /// Bumped each time a new link is issued: links of other versions are refused.
    pub version: u64,
    pub active: bool,
    pub updated_at: String,
}

impl Entity for CalendarLink {
    const KIND: &'static str = "calendar_link";

    fn key(&self) -> Key {
        calendar_key_of(&self.partner_id, &self.user_id)
    }
}

fn calendar_key_of(partner_id: &str, user_id: &str) -> Key {
    Key::new(
        keys::partner_partition(partner_id),
        format!("CALENDAR#{user_id}"),
    )
}

/// The caller's calendar link item, read with the access check.
pub fn calendar_key(principal: &Principal) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![calendar_key_of(p, &principal.user_id)])
        .unwrap_or_default()
}

#[derive(Serialize, Deserialize)]
struct Claim {
    p: String,
    u: String,
    v: u64,
}

fn feed_url(signer: &Signer, portal_url: &str, link: &CalendarLink) -> String {
    let claim = Claim {
        p: link.partner_id.clone(),
        u: link.user_id.clone(),
        v: link.version,
    };
    let token = signer.sign(
        SCOPE,
        &serde_json::to_vec(&claim).expect("a claim serialises"),
    );
    format!(
        "{}/v1/calendar/{token}.ics",
        portal_url.trim_end_matches('/')
    )
}

/// `GET /v1/me/calendar`: the URL of the caller's feed, issuing a link when there is no
/// current one.
pub async fn calendar_url(
    store: &Store,
    signer: &Signer,
    portal_url: &str,
    access: &mut Access,
    now: DateTime<Utc>,
) -> Result<String, ReportsError> {
    let partner_id = access.principal.partner_id()?.to_string();
    let user_id = access.principal.user_id.clone();
    let key = calendar_key_of(&partner_id, &user_id);
    let current: Option<CalendarLink> = access.fetched.take(&key)?;
    if let Some(link) = current.as_ref().filter(|l| l.active) {
        return Ok(feed_url(signer, portal_url, link));
    }
    let link = CalendarLink {
        partner_id,
        user_id,
        version: current.as_ref().map_or(1, |l| l.version + 1),
        active: true,
        updated_at: rfc3339(now),
    };
    let mut patch = Patch::new(&key)
        .set(keys::KIND, CalendarLink::KIND)
        .set("partner_id", &link.partner_id)
        .set("user_id", &link.user_id)
        .set("version", link.version)
        .set("active", true)
        .set("updated_at", &link.updated_at)
        .on_failure(Failure::Stale);
    patch = match &current {
        Some(c) => patch.require_eq("version", c.version),
        None => patch.require_unset("version"),
    };
    match store.apply(patch).await {
        Ok(()) => Ok(feed_url(signer, portal_url, &link)),
        // Another request issued one at the same moment: that one is the link.
        Err(StoreError::Condition(_)) => match store.get::<CalendarLink>(&key).await? {
            Some(l) if l.active => Ok(feed_url(signer, portal_url, &l)),
            _ => Err(StoreError::Condition(Failure::Stale).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /v1/me/calendar`: the current link stops working at once.
pub async fn revoke(
    store: &Store,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), ReportsError> {
    let partner_id = principal.partner_id()?;
    let key = calendar_key_of(partner_id, &principal.user_id);
    store
        .apply(
            Patch::new(&key)
                .set(keys::KIND, CalendarLink::KIND)
                .set("partner_id", partner_id)
                .set("user_id", &principal.user_id)
                .set("active", false)
                .set("updated_at", rfc3339(now))
                .add("version", 1),
        )
        .await?;
    Ok(())
}

/// Who answers for a lead's follow-up: the user it is assigned to, else the user who
/// registered it, when active; otherwise (public form, CRM) the partner's owners.
pub fn responsible<'a>(lead: &Lead, users: &'a HashMap<String, User>) -> Vec<&'a User> {
    let active = |id: &str| users.get(id).filter(|u| u.status == UserStatus::Active);
    if let Some(u) = lead.assigned_to.as_deref().and_then(active) {
        return vec![u];
    }
    if let Some(u) = active(&lead.created_by) {
        return vec![u];
    }
    users
        .values()
        .filter(|u| u.status == UserStatus::Active && u.role == crate::auth::Role::Owner)
        .collect()
}

/// A partner's users by id (bounded: a team, not a directory).
pub async fn users_of(
    store: &Store,
    partner_id: &str,
) -> Result<HashMap<String, User>, StoreError> {
    let q = Query::partition(None, keys::partner_partition(partner_id), MAX_USERS)
        .prefix(keys::USER_PREFIX);
    Ok(store
        .first_page::<User>(&q)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// A lead's display name: `Naledi Dube (Acme)`.
pub fn lead_label(lead: &Lead) -> String {
    let name = format!("{} {}", lead.first_name, lead.last_name)
        .trim()
        .to_string();
    match lead.company.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => format!("{name} ({c})"),
        None => name,
    }
}

/// `GET /v1/calendar/{token}.ics`: the feed, or `UnknownCalendar` for a token that is
/// forged, revoked, or of a user or partner who may no longer sign in.
pub async fn feed(
    store: &Store,
    signer: &Signer,
    portal_url: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, ReportsError> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    let claim: Claim = signer
        .verify(SCOPE, token)
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or(ReportsError::UnknownCalendar)?;
    let link_key = calendar_key_of(&claim.p, &claim.u);
    let user_key = keys::user(Some(&claim.p), &claim.u);
    let partner_key = keys::partner(&claim.p);
    let mut fetched = store
        .fetch(&[link_key.clone(), user_key.clone(), partner_key.clone()])
        .await?;
    let link: Option<CalendarLink> = fetched.take(&link_key)?;
    let user: Option<User> = fetched.take(&user_key)?;
    let partner: Option<Partner> = fetched.take(&partner_key)?;
    let current = link.is_some_and(|l| l.active && l.version == claim.v)
        && user
            .as_ref()
            .is_some_and(|u| u.status == UserStatus::Active)
        && partner.is_some_and(|p| p.status == PartnerStatus::Approved);
    let Some(user) = user.filter(|_| current) else {
        return Err(ReportsError::UnknownCalendar);
    };
    let q = Query::partition(Some(Index::Due), keys::follow_ups(&claim.p), MAX_EVENTS).between(
        rfc3339(now - chrono::Duration::days(PAST_DAYS)),
        rfc3339(now + chrono::Duration::days(AHEAD_DAYS)),
    );
    let (users, leads) = tokio::join!(users_of(store, &claim.p), store.first_page::<Lead>(&q));
    let (users, leads) = (users?, leads?);
    let mine: Vec<&Lead> = leads
        .iter()
        .filter(|l| responsible(l, &users).iter().any(|u| u.id == user.id))
        .collect();
    Ok(ics(&mine, portal_url, now))
}

/// The feed's text: one 30-minute event per follow-up, UID stable per lead (a moved
/// follow-up updates its event), times in UTC.
pub fn ics(leads: &[&Lead], portal_url: &str, now: DateTime<Utc>) -> String {
    let host = url_host(portal_url);
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Partner Portal//Lead follow-ups//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        "X-WR-CALNAME:Lead follow-ups".to_string(),
    ];
    for lead in leads {
        let Some(start) = lead
            .next_follow_up_at
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        else {
            continue;
        };
        let start = start.with_timezone(&Utc);
        let url = format!("{}/app/leads/{}", portal_url.trim_end_matches('/'), lead.id);
        let mut description = format!("Status: {}", lead.status.as_str());
        if let Some(phone) = &lead.phone {
            description.push_str(&format!("\nPhone: {phone}"));
        }
        if let Some(email) = &lead.email {
            description.push_str(&format!("\nEmail: {email}"));
        }
        description.push_str(&format!("\n{url}"));
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:follow-up-{}@{host}", lead.id),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ")),
            "DURATION:PT30M".to_string(),
            format!(
                "SUMMARY:{}",
                escape_text(&format!("Follow up: {}", lead_label(lead)))
            ),
            format!("DESCRIPTION:{}", escape_text(&description)),
            format!("URL:{url}"),
            "END:VEVENT".to_string(),
        ]);
    }
    lines.push("END:VCALENDAR".to_string());
    lines.iter().map(|l| fold(l)).collect::<String>()
}

fn url_host(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("partner-portal")
        .to_string()
}

/// RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks are escaped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 §3.1: a content line is at most 75 octets; longer ones continue on lines
/// that start with a space (split between characters, never inside one). Ends in CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn text_values_escape_separators_and_line_breaks() {
        assert_eq!(
            escape_text("Dube, Naledi; a\\b\r\nnext"),
            "Dube\\, Naledi\\; a\\\\b\\nnext"
        );
    }
}
