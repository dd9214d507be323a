//! Field checks shared by the services: each records a [`FieldError`] and returns the
//! cleaned value, so a service reports every invalid field of a request at once.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::fault::FieldError;

/// A required, trimmed string of at most `max` characters.
pub fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    v.to_string()
}

/// An optional, trimmed string of at most `max` characters (blank counts as absent).
pub fn optional(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    match value.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

/// The API's time format: UTC RFC 3339 with milliseconds (sorts as text).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A declared upload: a plain file name (no path), one of `types`, 1 to `max` bytes.
/// Returns the trimmed file name or a 400 naming every bad field.
pub fn upload(
    file_name: &str,
    content_type: &str,
    size: u64,
    types: &[&str],
    max: u64,
) -> Result<String, crate::fault::Invalid> {
    let mut e = Vec::new();
    let name = file_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
        e.push(FieldError::new(
            "/file_name",
            "must be a file name of 1 to 200 characters without slashes",
        ));
    }
    if !types.contains(&content_type) {
        e.push(FieldError::new(
            "/content_type",
            format!("must be one of {}", types.join(", ")),
        ));
    }
    if size == 0 || size > max {
        e.push(FieldError::new(
            "/size",
            format!("must be between 1 and {max} bytes"),
        ));
    }
    if e.is_empty() {
        Ok(name)
    } else {
        Err(crate::fault::Invalid(e))
    }
}

/// Tags: trimmed, lower-cased, 1 to 50 characters each, duplicates dropped, at most `max`.
pub fn tags(
    errors: &mut Vec<FieldError>,
    field: &str,
    values: &[String],
    max: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in values.iter().enumerate() {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > 50 {
            errors.push(FieldError::new(
                format!("{field}/{i}"),
                "must be 1 to 50 characters",
            ));
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > max {
        errors.push(FieldError::new(field, format!("at most {max} tags")));
    }
    out
}

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`: a field
/// sent as `null` is `Some(None)` (clear it), an absent one `None` (leave it).
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A time bound given as an RFC 3339 time or a date (a `to` date includes that whole day),
/// normalised to RFC 3339 UTC; `None` when absent or, with an error recorded, invalid.
pub fn time_bound(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<String>,
    end_of_day: bool,
) -> Option<String> {
    let r = raw.filter(|r| !r.is_empty())?;
    if let Ok(t) = DateTime::parse_from_rfc3339(&r) {
        return Some(rfc3339(t.with_timezone(&Utc)));
    }
    match chrono::NaiveDate::parse_from_str(&r, "%Y-%m-%d") {
        Ok(d) => Some(if end_of_day {
            format!("{d}T23:59:59.999Z")
        } else {
            format!("{d}T00:00:00.000Z")
        }),
        Err(_) => {
            errors.push(FieldError::new(field, "must be an RFC 3339 time or a date"));
            None
        }
    }
}

/// An external link: https, a host name that is not loopback, private, link-local or
/// otherwise internal.
pub fn https_link(raw: &str) -> Result<String, &'static str> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .ok_or("must be an https:// link")?;
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("is not a valid link");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("may not carry credentials");
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(authority)
    }
    .to_lowercase();
    if host.is_empty() {
        return Err("has no host");
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        let internal = match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
            }
            std::net::IpAddr::V6(v6) => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
        if internal {
            return Err("may not point at a private or loopback address");
        }
        return Ok(url.to_string());
    }
    if host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || !host.contains('.')
    {
        return Err("may not point at a private or loopback host");
    }
    Ok(url.to_string())
}

/// An id given in a query or body (a partner, a user): 1 to 64 letters, digits, `-` or
/// `_` — it becomes part of a key, so anything else is a 400, not a DynamoDB error.
pub fn id_param(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    let v = value.filter(|v| !v.is_empty())?;
    if v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Some(v)
    } else {
        errors.push(FieldError::new(field, "is not an id"));
        None
    }
}

/// The calendar quarter (`2026-Q3`) of an RFC 3339 time (or a date).
/// The ISO week (`2026-W48`) of an RFC 3339 instant's date.
pub fn iso_week_of(at: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(at.get(..10)?, "%Y-%m-%d").ok()?;
    Some(iso_week(date))
}

/// The ISO week label of a date: `2026-W48` (the ISO year, which can differ from the
/// calendar year in the first and last days of a year).
pub fn iso_week(date: chrono::NaiveDate) -> String {
    use chrono::Datelike as _;
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

pub fn quarter_of(at: &str) -> Option<String> {
    let year = at.get(..4)?;
    let month: u32 = at.get(5..7)?.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-Q{}", (month - 1) / 3 + 1))
}
