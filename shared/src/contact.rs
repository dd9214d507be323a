//! Contact values that can only exist in their normalised form: once parsed, an email is
//! lower-case and plausible, a phone number is `+` and digits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A normalised email address (trimmed, lower-cased, one `@`, a dotted domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim().to_lowercase();
        if value.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let (local, domain) = value.split_once('@').ok_or("must be an email address")?;
        let ok_local =
            !local.is_empty() && local.len() <= 64 && !local.contains(char::is_whitespace);
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if ok_local && ok_domain {
            Ok(Self(value))
        } else {
            Err("must be an email address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number normalised to `+<country code><number>` (E.164 shape). Numbers
/// without a country code are read in `default_country_code` (e.g. "27" for South Africa).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str, default_country_code: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err("must be a phone number");
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let international = if trimmed.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("{default_country_code}{rest}")
        } else {
            digits
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err("must be a phone number with 8 to 15 digits");
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM ").unwrap().as_str(),
            "jane.doe@example.com"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "j@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn phones_in_any_common_format_normalise_to_one_value() {
        let forms = [
            "+27 82 555 1234",
            "082 555 1234",
            "0027825551234",
            "+27 (82) 555-1234",
        ];
        for f in forms {
            assert_eq!(
                Phone::parse(f, "27").unwrap().as_str(),
                "+27825551234",
                "{f}"
            );
        }
        assert!(Phone::parse("12345", "27").is_err());
        assert!(Phone::parse("call me", "27").is_err());
    }
}
