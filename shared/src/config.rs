//! Typed configuration, read once per cold start from named environment variables.
//!
//! Every problem is collected before failing, so a misconfigured function reports all of
//! its missing or malformed variables in one cold-start error instead of one per deploy.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// A value that must never reach a log line: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value; call sites that expose it are easy to audit.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

// Stored and sent as the bare value (e.g. a password hash in its item); only Debug hides it.
impl<T: serde::Serialize> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where configuration comes from: the process environment in Lambda, a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment. Empty values count as unset.
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .filter(|v| !v.trim().is_empty())
    }
}

/// A cold start that cannot proceed: every missing or malformed variable, by name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// Reads variables from a [`Source`], recording problems instead of stopping at the first.
pub struct Reader<'a> {
    source: &'a dyn Source,
    problems: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(source: &'a dyn Source) -> Self {
        Self {
            source,
            problems: Vec::new(),
        }
    }

    /// A required string; records `NAME is required` when unset.
    pub fn required(&mut self, name: &str) -> String {
        match self.source.get(name) {
            Some(v) => v,
            None => {
                self.problems.push(format!("{name} is required"));
                String::new()
            }
        }
    }

    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.source.get(name)
    }

    /// A required value parsed with `FromStr`; the message names the variable, never its value.
    pub fn parsed<T: FromStr + Default>(&mut self, name: &str) -> T
    where
        T::Err: fmt::Display,
    {
        match self.source.get(name) {
            None => {
                self.problems.push(format!("{name} is required"));
                T::default()
            }
            Some(raw) => self.parse_value(name, &raw),
        }
    }

    /// An optional value parsed with `FromStr`, `default` when unset.
    pub fn parsed_or<T: FromStr + Default>(&mut self, name: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        match self.source.get(name) {
            None => default,
            Some(raw) => self.parse_value(name, &raw),
        }
    }

    /// A required secret value (for values that are not fetched from Secrets Manager,
    /// such as identifiers that must still stay out of logs).
    pub fn secret(&mut self, name: &str) -> Secret<String> {
        Secret::new(self.required(name))
    }

    fn parse_value<T: FromStr + Default>(&mut self, name: &str, raw: &str) -> T
    where
        T::Err: fmt::Display,
    {
        match raw.trim().parse::<T>() {
            Ok(v) => v,
            Err(e) => {
                self.problems.push(format!("{name} is malformed: {e}"));
                T::default()
            }
        }
    }

    /// Ok when every read succeeded, otherwise every problem at once.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

/// The deployment stage a function runs in (`PORTAL_STAGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    #[default]
    Local,
    Dev,
    Prod,
}

impl FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Stage::Local),
            "dev" => Ok(Stage::Dev),
            "prod" => Ok(Stage::Prod),
            other => Err(format!("expected local, dev or prod, got {other:?}")),
        }
    }
}

/// Settings every function shares (template Globals).
#[derive(Debug, Clone)]
pub struct Common {
    pub stage: Stage,
}

impl Common {
    pub fn read(r: &mut Reader<'_>) -> Self {
        Self {
            stage: r.parsed("PORTAL_STAGE"),
        }
    }
}

/// Where the single table lives and how its page cursors are signed.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub table_name: String,
}

impl StoreConfig {
    pub fn read(r: &mut Reader<'_>) -> Self {
        Self {
            table_name: r.required("TABLE_NAME"),
        }
    }
}

/// The ARN (or name) of the application secret: cursor signing key and other keys.
#[derive(Debug, Clone)]
pub struct AppSecretConfig {
    pub app_secret_id: String,
}

impl AppSecretConfig {
    pub fn read(r: &mut Reader<'_>) -> Self {
        Self {
            app_secret_id: r.required("APP_SECRET_ARN"),
        }
    }
}

/// The documents bucket (KYC documents, lead attachments, resources, exports).
#[derive(Debug, Clone)]
pub struct DocumentsConfig {
    pub bucket: String,
}

impl DocumentsConfig {
    pub fn read(r: &mut Reader<'_>) -> Self {
        Self {
            bucket: r.required("DOCUMENTS_BUCKET"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_and_malformed_variable_is_reported_at_once() {
        let env = [("PORTAL_STAGE", "staging"), ("DOCUMENTS_BUCKET", "")];
        let mut r = Reader::new(&env);
        let _ = Common::read(&mut r);
        let _ = StoreConfig::read(&mut r);
        let _ = DocumentsConfig::read(&mut r);
        let err = r.finish().unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                "PORTAL_STAGE is malformed: expected local, dev or prod, got \"staging\""
                    .to_string(),
                "TABLE_NAME is required".to_string(),
                "DOCUMENTS_BUCKET is required".to_string(),
            ]
        );
    }

    #[test]
    fn complete_configuration_reads_typed_values() {
        let env = [("PORTAL_STAGE", "prod"), ("TABLE_NAME", "portal")];
        let mut r = Reader::new(&env);
        let common = Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        r.finish().unwrap();
        assert_eq!(common.stage, Stage::Prod);
        assert_eq!(store.table_name, "portal");
    }

    #[test]
    fn optional_values_fall_back_to_their_default_but_malformed_ones_fail() {
        let env = [("PAGE_LIMIT", "x")];
        let mut r = Reader::new(&env);
        assert_eq!(r.parsed_or::<u32>("UNSET", 7), 7);
        let _ = r.parsed_or::<u32>("PAGE_LIMIT", 25);
        assert_eq!(r.finish().unwrap_err().problems.len(), 1);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let env = [("WEBHOOK_SECRET", "s3cr3t-value")];
        let mut r = Reader::new(&env);
        let secret = r.secret("WEBHOOK_SECRET");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "s3cr3t-value");
    }
}
