//! Normalised contact values for cross-partner duplicate detection: the same person typed
//! differently by two partners must collide.

use crate::contact::{Email, Phone};

/// Mailbox providers whose domain says nothing about the company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
    "webmail.co.za",
    "mweb.co.za",
    "telkomsa.net",
    "vodamail.co.za",
    "yandex.com",
    "zoho.com",
];

/// Second-level labels under which a registrable domain has three labels (`acme.co.za`).
const SECOND_LEVEL: &[&str] = &["co", "com", "org", "net", "gov", "ac", "edu", "ltd", "plc"];

/// The registrable domain of a host (`www.shop.acme.co.za` → `acme.co.za`).
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2
        || !labels
            .iter()
            .all(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return None;
    }
    let n = labels.len();
    let take = if n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    Some(labels[n - take..].join("."))
}

/// The company domain of a website (`https://www.acme.co.za/contact` → `acme.co.za`).
pub fn website_domain(url: &str) -> Option<String> {
    let rest = url.trim();
    let rest = rest.split_once("://").map(|(_, r)| r).unwrap_or(rest);
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    registrable_domain(host)
}

/// The company domain of an email, unless it is a free-mail provider's.
pub fn email_domain(email: &Email) -> Option<String> {
    let domain = registrable_domain(email.domain())?;
    (!FREE_MAIL.contains(&domain.as_str()) && !FREE_MAIL.contains(&email.domain()))
        .then_some(domain)
}

/// The values a lead is known by: each one is reserved across all partners.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl ContactKeys {
    pub fn of(email: Option<&Email>, phone: Option<&Phone>, website: Option<&str>) -> Self {
        let domain = website
            .and_then(website_domain)
            .or_else(|| email.and_then(email_domain));
        Self {
            email: email.map(|e| e.as_str().to_string()),
            phone: phone.map(|p| p.as_str().to_string()),
            domain,
        }
    }

    /// `(kind, value)` pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(e) = &self.email {
            out.push(("email", e.clone()));
        }
        if let Some(p) = &self.phone {
            out.push(("phone", p.clone()));
        }
        if let Some(d) = &self.domain {
            out.push(("domain", d.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_handle_country_second_levels() {
        assert_eq!(
            registrable_domain("www.shop.acme.co.za").as_deref(),
            Some("acme.co.za")
        );
        assert_eq!(
            registrable_domain("mail.acme.com").as_deref(),
            Some("acme.com")
        );
        assert_eq!(registrable_domain("localhost"), None);
        assert_eq!(
            website_domain("https://www.Acme.co.za/contact?x=1").as_deref(),
            Some("acme.co.za")
        );
        assert_eq!(website_domain("acme.io").as_deref(), Some("acme.io"));
    }

    #[test]
    fn free_mail_domains_never_count_as_a_company() {
        let gmail = Email::parse("jane@gmail.com").unwrap();
        assert_eq!(email_domain(&gmail), None);
        let work = Email::parse("jane@sales.acme.co.za").unwrap();
        assert_eq!(email_domain(&work).as_deref(), Some("acme.co.za"));
    }
}
