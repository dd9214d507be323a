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
