//! Identity records as stored.

use serde::{Deserialize, Serialize};

use crate::auth::permissions::Role;
use crate::config::Secret;
use crate::store::{Entity, Key, keys};

/// What a user can do with their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Invited; activates by accepting the invitation.
    Invited,
    Active,
    /// Deactivated by the owner: cannot log in; tokens stop at the next refresh.
    Deactivated,
}

/// A portal user's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    /// A self-registered owner whose address is not proven yet (the verification link, or a
    /// password reset, proves it): such an account may only work on its application.
    /// Invited users prove their address by accepting the emailed invitation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_unverified: bool,
    /// Sessions started before this instant (epoch milliseconds) are void: set when the
    /// user is deactivated or demoted or resets the password (mirrors the credential's).
    #[serde(default)]
    pub sessions_valid_after: i64,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for User {
    const KIND: &'static str = "user";

    fn key(&self) -> Key {
        keys::user(self.partner_id.as_deref(), &self.id)
    }
}

/// The login record of one email: what login needs in a single read (and the email's
/// uniqueness guard). Role and status mirror the user's and change in the same transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub email: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<Secret<String>>,
    /// Mirrors the user's `email_unverified`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_unverified: bool,
    /// Sessions started before this instant (epoch milliseconds) are void (password reset,
    /// deactivation, a role change); mirrored on the user item.
    #[serde(default)]
    pub sessions_valid_after: i64,
}

/// A new partner user and its credential (the email guard): `password_hash` for a user who
/// signs up, none for an invited one.
pub fn new_member(
    partner_id: &str,
    email: &str,
    role: Role,
    status: UserStatus,
    password_hash: Option<Secret<String>>,
    names: (Option<String>, Option<String>),
    at: &str,
) -> (User, Credential) {
    new_user(
        Some(partner_id),
        email,
        role,
        status,
        password_hash,
        names,
        at,
    )
}

/// An internal user (no partner) and their credential.
pub fn new_staff(
    email: &str,
    role: Role,
    status: UserStatus,
    password_hash: Option<Secret<String>>,
    names: (Option<String>, Option<String>),
    at: &str,
) -> (User, Credential) {
    new_user(None, email, role, status, password_hash, names, at)
}

fn new_user(
    partner_id: Option<&str>,
    email: &str,
    role: Role,
    status: UserStatus,
    password_hash: Option<Secret<String>>,
    names: (Option<String>, Option<String>),
    at: &str,
) -> (User, Credential) {
    let user = User {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.map(str::to_string),
        email: email.to_string(),
        first_name: names.0,
        last_name: names.1,
        role,
        status,
        email_unverified: false,
        sessions_valid_after: 0,
        created_at: at.to_string(),
        updated_at: at.to_string(),
        version: 1,
    };
    let credential = Credential {
        email: email.to_string(),
        user_id: user.id.clone(),
        partner_id: partner_id.map(str::to_string),
        role,
        status,
        password_hash,
        email_unverified: false,
        sessions_valid_after: 0,
    };
    (user, credential)
}

impl Entity for Credential {
    const KIND: &'static str = "credential";

    fn key(&self) -> Key {
        keys::credential(&self.email)
    }
}

/// One refresh token (stored by hash). `used_at` is set when it is rotated; presenting it
/// again revokes its session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub session_id: String,
    pub email: String,
    /// The user's partner, so a refresh reads it in the same round trip as the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<i64>,
}

impl Entity for RefreshToken {
    const KIND: &'static str = "refresh_token";

    fn key(&self) -> Key {
        keys::refresh_token(&self.token_hash)
    }
}

/// A session: the family of refresh tokens descending from one login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    #[serde(default)]
    pub revoked: bool,
}

impl Entity for Session {
    const KIND: &'static str = "session";

    fn key(&self) -> Key {
        keys::session(&self.id)
    }
}

/// A single-use token (invitation or password reset), stored by hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub email: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    Invitation,
    PasswordReset,
    EmailVerification,
}

impl Entity for OneTimeToken {
    const KIND: &'static str = "one_time_token";

    fn key(&self) -> Key {
        match self.purpose {
            TokenPurpose::Invitation => keys::invitation(&self.token_hash),
            TokenPurpose::PasswordReset => keys::password_reset(&self.token_hash),
            TokenPurpose::EmailVerification => keys::email_verification(&self.token_hash),
        }
    }
}
