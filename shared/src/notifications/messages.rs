//! What each kind of email says, written with the one template mechanism
//! ([`super::template`]). Links to the portal use the stage's portal URL.

use super::template::Message;
use super::{EmailKind, FollowUpLine};

fn hello(first_name: Option<&str>) -> String {
    match first_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("Hello {name},"),
        None => "Hello,".to_string(),
    }
}

fn reason_line(reason: &Option<String>) -> Option<String> {
    reason.as_deref().map(|r| format!("Reason: {r}"))
}

fn page(portal_url: &str, path: &str) -> String {
    format!("{}{path}", portal_url.trim_end_matches('/'))
}

fn follow_up_items(lines: &[FollowUpLine]) -> Vec<String> {
    lines
        .iter()
        .map(|l| format!("{} (due {})", l.lead, l.due))
        .collect()
}

impl EmailKind {
    /// The email's subject and body, before rendering.
    pub fn message(&self, portal_url: &str) -> Message {
        let sign_in = page(portal_url, "/");
        match self {
            EmailKind::Invitation {
                inviter_business,
                role,
                link,
            } => Message::new(
                format!("You are invited to {inviter_business}'s partner portal"),
                hello(None),
            )
            .text(format!(
                "{inviter_business} invited you to their partner portal account as {role}."
            ))
            .link(
                "Accept the invitation and choose your password (the link works once, for 7 days)",
                link,
            )
            .fine("If you did not expect this, ignore this email."),
            EmailKind::PasswordReset { link } => {
                Message::new("Reset your partner portal password", hello(None))
                    .text("Someone asked to reset the password of your partner portal account.")
                    .link(
                        "Choose a new password (the link works once, for 1 hour)",
                        link,
                    )
                    .fine("If this was not you, ignore this email; your password stays as it is.")
            }
            EmailKind::VerifyEmail { link } => {
                Message::new("Confirm your email for the partner portal", hello(None))
                    .text(
                        "Confirm that this address belongs to you to finish setting up your \
                         partner portal account.",
                    )
                    .link(
                        "Confirm your email (the link works once, for 48 hours)",
                        link,
                    )
                    .fine("If you did not apply to become a partner, ignore this email.")
            }
            EmailKind::AccountExists {
                sign_in_link,
                reset_link,
            } => Message::new("You already have a partner portal account", hello(None))
                .text(
                    "Someone applied to become a partner with this address, which already has a \
                     partner portal account, so no new account was created.",
                )
                .link("Sign in", sign_in_link)
                .text(
                    "If you don't know the password, or the account was not opened by you, reset \
                     the password; a reset also removes users added before the address was \
                     confirmed.",
                )
                .link("Reset the password", reset_link)
                .fine("If you did not apply, ignore this email."),
            EmailKind::InvitedElsewhere { inviter_business } => Message::new(
                format!("{inviter_business} tried to invite you to the partner portal"),
                hello(None),
            )
            .text(format!(
                "{inviter_business} tried to invite this address to their partner portal \
                 account. The address already has a partner portal account, and one address \
                 belongs to one account, so nothing was changed."
            ))
            .text(format!(
                "If you want to join {inviter_business}, ask them to invite another address."
            )),
            EmailKind::PartnerDecision {
                business_name,
                decision,
                reason,
            } => Message::new(
                format!("{business_name}: your partner account was {decision}"),
                hello(None),
            )
            .text(format!(
                "Your partner account for {business_name} was {decision}."
            ))
            .text_if(reason_line(reason))
            .link("Sign in to the partner portal for details", sign_in),
            EmailKind::DocumentReviewed {
                document_type,
                decision,
                reason,
            } => Message::new(format!("Your {document_type} was {decision}"), hello(None))
                .text(format!(
                    "Your KYC document ({document_type}) was {decision}."
                ))
                .text_if(reason_line(reason))
                .link("See your documents", page(portal_url, "/app/onboarding")),
            EmailKind::Survey {
                first_name,
                business_name,
                link,
            } => Message::new(
                format!("How was working with {business_name}?"),
                hello(Some(first_name)),
            )
            .text(format!(
                "Thank you for choosing {business_name}. Would you recommend them to a friend \
                 or colleague?"
            ))
            .link(
                "Answer on a scale from 0 to 10 (one question and an optional comment; the link \
                 works once, for 30 days)",
                link,
            )
            .fine(
                "If you would rather not be asked, ignore this email: we will not send another \
                 one for this purchase. The unsubscribe link below stops survey emails to this \
                 address altogether.",
            ),
            EmailKind::LeadAssigned {
                business_name,
                lead_name,
            } => Message::new(
                format!("A new lead for {business_name}: {lead_name}"),
                hello(None),
            )
            .text(format!(
                "Our team assigned the lead {lead_name} to {business_name}."
            ))
            .link(
                "Follow it up in the partner portal",
                page(portal_url, "/app/leads"),
            ),
            EmailKind::LeadClosed {
                business_name,
                lead_name,
                status,
            } => Message::new(
                format!("Your lead {lead_name} is now {status}"),
                hello(None),
            )
            .text(format!(
                "The lead {lead_name} registered by {business_name} is now {status}."
            ))
            .link("See its history", page(portal_url, "/app/leads")),
            EmailKind::CommissionChanged {
                business_name,
                description,
                amount,
                status,
                reason,
            } => Message::new(format!("Commission {status}: {amount}"), hello(None))
                .text(format!(
                    "A commission of {business_name} was {status}: {description} ({amount})."
                ))
                .text_if(reason_line(reason))
                .link("See your commissions", page(portal_url, "/app/commissions")),
            EmailKind::PayoutPaid {
                business_name,
                amount,
                reference,
                lines,
            } => Message::new(
                format!("Payout of {amount} to {business_name}"),
                hello(None),
            )
            .text(format!(
                "We paid {amount} to {business_name}{}.",
                reference
                    .as_deref()
                    .map(|r| format!(" (reference {r})"))
                    .unwrap_or_default()
            ))
            .text("Statement:")
            .list(lines.clone())
            .link(
                "See the payout and its lines",
                page(portal_url, "/app/commissions"),
            ),
            EmailKind::KycExpiring {
                business_name,
                document_type,
                expires_on,
                days_left,
            } => {
                let when = if *days_left < 0 {
                    format!("expired on {expires_on}")
                } else if *days_left == 0 {
                    format!("expires today ({expires_on})")
                } else {
                    format!("expires on {expires_on}, in {days_left} days")
                };
                Message::new(
                    format!("{business_name}: your {document_type} {when}"),
                    hello(None),
                )
                .text(format!(
                    "The {document_type} on file for {business_name} {when}. Upload a current \
                     one so that your account stays verified."
                ))
                .link("Upload a new document", page(portal_url, "/app/onboarding"))
            }
            EmailKind::FollowUpDigest {
                first_name,
                date,
                overdue,
                today,
                more,
            } => {
                let count = overdue.len() + today.len() + *more as usize;
                let mut m = Message::new(
                    format!(
                        "{count} follow-up{} due ({date})",
                        if count == 1 { "" } else { "s" }
                    ),
                    hello(first_name.as_deref()),
                );
                if !overdue.is_empty() {
                    m = m.text("Overdue:").list(follow_up_items(overdue));
                }
                if !today.is_empty() {
                    m = m.text("Due today:").list(follow_up_items(today));
                }
                if *more > 0 {
                    m = m.text(format!("… and {more} more."));
                }
                m.link("Open your leads", page(portal_url, "/app/leads"))
            }
            EmailKind::WeeklySummary {
                first_name,
                business_name,
                week,
                leads_new,
                leads_won,
                leads_lost,
                conversion,
                score,
                commissions,
            } => {
                let mut rows = vec![
                    vec!["New leads".to_string(), leads_new.to_string()],
                    vec!["Won".to_string(), leads_won.to_string()],
                    vec!["Lost".to_string(), leads_lost.to_string()],
                    vec!["Conversion".to_string(), conversion.clone()],
                    vec!["Score".to_string(), score.clone()],
                ];
                match commissions.as_deref() {
                    None => {}
                    Some([]) => rows.push(vec!["Commissions".to_string(), "none".to_string()]),
                    Some(lines) => {
                        for line in lines {
                            rows.push(vec!["Commissions".to_string(), line.clone()]);
                        }
                    }
                }
                Message::new(
                    format!("{business_name}: your week, {week}"),
                    hello(first_name.as_deref()),
                )
                .text(format!("Here is {business_name}'s week, {week}."))
                .table(vec!["Last week".to_string(), week.clone()], rows)
                .link("Open your dashboard", page(portal_url, "/app"))
            }
        }
    }
}
