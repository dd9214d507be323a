//! Roles and the permission matrix: one table that decides who may call each route.
//!
//! Every HTTP route of the template appears here exactly once (a test walks the template),
//! so a new route cannot ship unguarded. Handlers call [`crate::identity::auth::Auth::require`]
//! with their route key; object-level access (whose lead, whose user) is then a property
//! of the keys, which come from the verified token.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The partner's account holder: everything, including users and banking details.
    Owner,
    /// Runs the partner's pipeline and team, without users or banking.
    Manager,
    /// Registers and works leads (their own or assigned ones).
    Sales,
    /// Commissions, payouts and exports.
    Finance,
    /// Internal operations staff.
    Admin,
    /// Internal staff who read everything operations see and change nothing.
    Support,
}

impl Role {
    pub const PARTNER_ROLES: [Role; 4] = [Role::Owner, Role::Manager, Role::Sales, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Support => "support",
        }
    }

    pub fn is_partner_role(self) -> bool {
        !matches!(self, Role::Admin | Role::Support)
    }

    pub const STAFF_ROLES: [Role; 2] = [Role::Admin, Role::Support];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "owner" => Ok(Role::Owner),
            "manager" => Ok(Role::Manager),
            "sales" => Ok(Role::Sales),
            "finance" => Ok(Role::Finance),
            "admin" => Ok(Role::Admin),
            "support" => Ok(Role::Support),
            _ => Err(()),
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed (registration, login, public form, health).
    Public,
    /// Any signed-in user.
    Authenticated,
    /// Only these roles.
    Roles(&'static [Role]),
}

use Role::{Admin, Finance, Manager, Owner, Sales, Support};

const PARTNER: &[Role] = &[Owner, Manager, Sales, Finance];
const OWNER: &[Role] = &[Owner];
const OWNER_MANAGER: &[Role] = &[Owner, Manager];
/// Operations writes: decisions, payouts, edits.
const ADMIN: &[Role] = &[Admin];
/// Operations reads: every internal role (`support` reads what `admin` reads).
const STAFF: &[Role] = &[Admin, Support];
const LEAD_WRITERS: &[Role] = &[Owner, Manager, Sales];
/// Who sees the partner's money: never `sales`.
const MONEY_READERS: &[Role] = &[Owner, Manager, Finance];
const PAYOUT_READERS: &[Role] = &[Owner, Finance];

/// The matrix: `"METHOD /path"` (as in template.yaml) → access.
pub const ROUTES: &[(&str, Access)] = &[
    ("GET /v1/health", Access::Public),
    ("GET /.well-known/jwks.json", Access::Public),
    ("POST /v1/auth/register", Access::Public),
    ("POST /v1/auth/login", Access::Public),
    ("POST /v1/auth/refresh", Access::Public),
    // A bearer token, or a refresh token in the body (the handler requires one of them).
    ("POST /v1/auth/logout", Access::Public),
    ("POST /v1/auth/invitations/accept", Access::Public),
    ("POST /v1/auth/password/forgot", Access::Public),
    ("POST /v1/auth/password/reset", Access::Public),
    ("POST /v1/auth/email/verify", Access::Public),
    ("POST /v1/auth/email/resend", Access::Authenticated),
    ("GET /v1/me", Access::Authenticated),
    ("GET /v1/me/notifications", Access::Authenticated),
    ("PUT /v1/me/notifications", Access::Authenticated),
    ("GET /v1/me/calendar", Access::Roles(PARTNER)),
    ("DELETE /v1/me/calendar", Access::Roles(PARTNER)),
    ("GET /v1/users", Access::Roles(OWNER_MANAGER)),
    ("POST /v1/users", Access::Roles(OWNER)),
    ("PATCH /v1/users/{user_id}", Access::Roles(OWNER)),
    ("GET /v1/partner", Access::Roles(PARTNER)),
    ("PATCH /v1/partner", Access::Roles(OWNER_MANAGER)),
    ("POST /v1/partner/logo", Access::Roles(OWNER_MANAGER)),
    ("GET /v1/partner/field-options", Access::Roles(PARTNER)),
    ("POST /v1/kyc/documents", Access::Roles(OWNER)),
    ("GET /v1/kyc/documents", Access::Roles(OWNER_MANAGER)),
    (
        "GET /v1/kyc/documents/{document_id}/download",
        Access::Roles(OWNER_MANAGER),
    ),
    (
        "DELETE /v1/kyc/documents/{document_id}",
        Access::Roles(OWNER),
    ),
    ("POST /v1/kyc/submit", Access::Roles(OWNER)),
    ("GET /v1/admin/partners", Access::Roles(STAFF)),
    ("GET /v1/admin/partners/{partner_id}", Access::Roles(STAFF)),
    (
        "POST /v1/admin/partners/{partner_id}/decision",
        Access::Roles(ADMIN),
    ),
    ("POST /v1/admin/partners/bulk-status", Access::Roles(ADMIN)),
    (
        "POST /v1/admin/kyc/documents/{document_id}/review",
        Access::Roles(ADMIN),
    ),
    ("POST /v1/leads", Access::Roles(LEAD_WRITERS)),
    ("GET /v1/leads", Access::Roles(PARTNER)),
    ("GET /v1/leads/stats", Access::Roles(PARTNER)),
    ("GET /v1/dashboard", Access::Roles(PARTNER)),
    ("GET /v1/analytics/quarterly", Access::Roles(PARTNER)),
    ("GET /v1/analytics/benchmarks", Access::Roles(PARTNER)),
    ("GET /v1/analytics/score/history", Access::Roles(PARTNER)),
    ("GET /v1/insights", Access::Roles(PARTNER)),
    ("GET /v1/feedback", Access::Roles(PARTNER)),
    (
        "POST /v1/feedback/{feedback_id}/reply",
        Access::Roles(OWNER_MANAGER),
    ),
    ("GET /v1/leads/{lead_id}", Access::Roles(PARTNER)),
    ("PATCH /v1/leads/{lead_id}", Access::Roles(LEAD_WRITERS)),
    ("GET /v1/leads/{lead_id}/history", Access::Roles(PARTNER)),
    ("GET /v1/leads/{lead_id}/activities", Access::Roles(PARTNER)),
    (
        "POST /v1/leads/{lead_id}/activities",
        Access::Roles(LEAD_WRITERS),
    ),
    (
        "POST /v1/leads/{lead_id}/attachments",
        Access::Roles(LEAD_WRITERS),
    ),
    ("POST /v1/public/partners/{slug}/leads", Access::Public),
    ("POST /v1/public/feedback/{token}", Access::Public),
    ("POST /v1/public/unsubscribe/{token}", Access::Public),
    // The calendar subscription: the token in the path (`<token>.ics`) is the credential.
    ("GET /v1/calendar/{token}", Access::Public),
    (
        "POST /v1/admin/leads/{lead_id}/assign",
        Access::Roles(ADMIN),
    ),
    ("POST /v1/admin/crm/replay", Access::Roles(ADMIN)),
    ("POST /v1/admin/feedback/surveys", Access::Roles(ADMIN)),
    ("GET /v1/commissions", Access::Roles(MONEY_READERS)),
    ("GET /v1/commissions/summary", Access::Roles(MONEY_READERS)),
    (
        "GET /v1/commissions/{commission_id}",
        Access::Roles(MONEY_READERS),
    ),
    ("GET /v1/payouts", Access::Roles(PAYOUT_READERS)),
    ("GET /v1/payouts/{payout_id}", Access::Roles(PAYOUT_READERS)),
    ("POST /v1/exports", Access::Roles(MONEY_READERS)),
    ("GET /v1/exports/{export_id}", Access::Roles(MONEY_READERS)),
    ("GET /v1/admin/commissions", Access::Roles(STAFF)),
    ("POST /v1/admin/commissions", Access::Roles(ADMIN)),
    (
        "POST /v1/admin/commissions/{commission_id}/status",
        Access::Roles(ADMIN),
    ),
    ("GET /v1/admin/payouts", Access::Roles(STAFF)),
    ("POST /v1/admin/payouts", Access::Roles(ADMIN)),
    (
        "POST /v1/admin/payouts/{payout_id}/status",
        Access::Roles(ADMIN),
    ),
    (
        "PATCH /v1/admin/partners/{partner_id}",
        Access::Roles(ADMIN),
    ),
    ("GET /v1/resources", Access::Roles(PARTNER)),
    ("GET /v1/resources/categories", Access::Roles(PARTNER)),
    ("GET /v1/resources/{resource_id}", Access::Roles(PARTNER)),
    (
        "GET /v1/resources/{resource_id}/download",
        Access::Roles(PARTNER),
    ),
    (
        "POST /v1/resources/{resource_id}/complete",
        Access::Roles(PARTNER),
    ),
    ("GET /v1/admin/resources", Access::Roles(STAFF)),
    // The operations workspace.
    ("GET /v1/admin/activity", Access::Roles(STAFF)),
    ("GET /v1/admin/analytics", Access::Roles(STAFF)),
    (
        "GET /v1/admin/partners/{partner_id}/timeline",
        Access::Roles(STAFF),
    ),
    (
        "POST /v1/admin/partners/{partner_id}/notes",
        Access::Roles(ADMIN),
    ),
    (
        "GET /v1/admin/partners/{partner_id}/tasks",
        Access::Roles(STAFF),
    ),
    (
        "POST /v1/admin/partners/{partner_id}/tasks",
        Access::Roles(ADMIN),
    ),
    ("GET /v1/admin/tasks", Access::Roles(STAFF)),
    ("PATCH /v1/admin/tasks/{task_id}", Access::Roles(ADMIN)),
    ("DELETE /v1/admin/tasks/{task_id}", Access::Roles(ADMIN)),
    (
        "GET /v1/admin/partners/{partner_id}/documents",
        Access::Roles(STAFF),
    ),
    (
        "POST /v1/admin/partners/{partner_id}/documents",
        Access::Roles(ADMIN),
    ),
    (
        "DELETE /v1/admin/documents/{document_id}",
        Access::Roles(ADMIN),
    ),
    (
        "GET /v1/admin/kyc/documents/{document_id}/download",
        Access::Roles(STAFF),
    ),
    ("GET /v1/admin/leads", Access::Roles(STAFF)),
    ("GET /v1/admin/staff", Access::Roles(STAFF)),
    ("POST /v1/admin/staff", Access::Roles(ADMIN)),
    ("PATCH /v1/admin/staff/{user_id}", Access::Roles(ADMIN)),
    ("POST /v1/admin/resources", Access::Roles(ADMIN)),
    (
        "PATCH /v1/admin/resources/{resource_id}",
        Access::Roles(ADMIN),
    ),
];

/// How far along its lifecycle a partner must be for its users to call a route. Checked
/// on every request against the partner as stored (see `identity::access`), never against
/// the token: a suspension takes effect on the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Any state, suspended and rejected included: who am I, my profile, sign out.
    Any,
    /// Pending or under review (and approved): the application and its KYC documents.
    Onboarding,
    /// Approved partners only: everything else.
    Active,
}

const ANY_STANDING: &[&str] = &[
    "GET /v1/me",
    "GET /v1/me/notifications",
    "PUT /v1/me/notifications",
    "DELETE /v1/me/calendar",
    "GET /v1/partner",
    "POST /v1/auth/logout",
    "POST /v1/auth/email/resend",
];
const ONBOARDING: &[&str] = &[
    "PATCH /v1/partner",
    "POST /v1/partner/logo",
    "GET /v1/partner/field-options",
    "POST /v1/kyc/documents",
    "GET /v1/kyc/documents",
    "GET /v1/kyc/documents/{document_id}/download",
    "DELETE /v1/kyc/documents/{document_id}",
    "POST /v1/kyc/submit",
];

/// The partner standing `route` needs (internal staff have no partner: not consulted).
pub fn standing(route: &str) -> Standing {
    if ANY_STANDING.contains(&route) {
        Standing::Any
    } else if ONBOARDING.contains(&route) {
        Standing::Onboarding
    } else {
        Standing::Active
    }
}

/// The access rule of `route`; `None` (deny everyone) for a route missing from the matrix.
pub fn access(route: &str) -> Option<Access> {
    ROUTES.iter().find(|(r, _)| *r == route).map(|(_, a)| *a)
}

/// Whether `role` may call `route`.
pub fn allows(route: &str, role: Role) -> bool {
    match access(route) {
        Some(Access::Public) | Some(Access::Authenticated) => true,
        Some(Access::Roles(roles)) => roles.contains(&role),
        None => false,
    }
}

/// Permission names for `GET /v1/me`: the routes this role may call.
pub fn permissions(role: Role) -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|(_, a)| matches!(a, Access::Roles(_)))
        .filter(|(r, _)| allows(r, role))
        .map(|(r, _)| *r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_cannot_invite_users_but_owners_can() {
        assert!(!allows("POST /v1/users", Role::Sales));
        assert!(allows("POST /v1/users", Role::Owner));
        assert!(!allows("POST /v1/users", Role::Admin));
    }

    #[test]
    fn an_unknown_route_is_denied_to_everyone() {
        for role in [
            Role::Owner,
            Role::Manager,
            Role::Sales,
            Role::Finance,
            Role::Admin,
            Role::Support,
        ] {
            assert!(!allows("DELETE /v1/everything", role));
        }
    }

    #[test]
    fn onboarding_and_any_standing_routes_are_real_routes() {
        for route in ANY_STANDING.iter().chain(ONBOARDING) {
            assert!(access(route).is_some(), "{route} is not in the matrix");
        }
        assert_eq!(standing("POST /v1/leads"), Standing::Active);
        assert_eq!(standing("POST /v1/users"), Standing::Active);
        assert_eq!(standing("POST /v1/kyc/submit"), Standing::Onboarding);
        assert_eq!(standing("GET /v1/partner"), Standing::Any);
    }

    #[test]
    fn support_reads_what_admins_read_and_writes_nothing() {
        for (route, _) in ROUTES {
            let read = route.starts_with("GET ");
            if allows(route, Role::Admin) && read {
                assert!(allows(route, Role::Support), "{route}");
            }
            if !read && route.contains("/admin/") {
                assert!(!allows(route, Role::Support), "{route}");
            }
        }
    }

    #[test]
    fn each_route_appears_once() {
        let mut seen = std::collections::HashSet::new();
        for (route, _) in ROUTES {
            assert!(seen.insert(route), "{route} twice");
        }
    }
}
