//! The commission line's status machine (API.md "Commissions and payouts"):
//! `pending → approved → paid`; `pending|approved → held (reason) → pending|approved`
//! (back to where it was held from); `pending|approved|held → cancelled`; `paid` and
//! `cancelled` are final. Paying is a payout's settlement, not an admin action.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Pending,
    Approved,
    Held,
    Paid,
    Cancelled,
}

/// What an admin (or a payout) does to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineAction {
    Approve,
    Hold,
    Release,
    Cancel,
    /// A payout settled it.
    Pay,
}

impl LineStatus {
    pub const ALL: [LineStatus; 5] = [
        LineStatus::Pending,
        LineStatus::Approved,
        LineStatus::Held,
        LineStatus::Paid,
        LineStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Pending => "pending",
            LineStatus::Approved => "approved",
            LineStatus::Held => "held",
            LineStatus::Paid => "paid",
            LineStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, LineStatus::Paid | LineStatus::Cancelled)
    }

    /// Whether the amount is still owed to the partner.
    pub fn is_owed(self) -> bool {
        matches!(
            self,
            LineStatus::Pending | LineStatus::Approved | LineStatus::Held
        )
    }

    /// The status after `action`, or `None` when the machine refuses it. `held_from` is the
    /// status a held line was held from (a release goes back there).
    pub fn after(self, action: LineAction, held_from: Option<LineStatus>) -> Option<LineStatus> {
        use LineAction::*;
        use LineStatus::*;
        match (self, action) {
            (Pending, Approve) => Some(Approved),
            (Pending | Approved, Hold) => Some(Held),
            (Held, Release) => match held_from {
                Some(s @ (Pending | Approved)) => Some(s),
                _ => Some(Pending),
            },
            (Pending | Approved | Held, Cancel) => Some(Cancelled),
            (Approved, Pay) => Some(Paid),
            _ => None,
        }
    }

    /// The actions the machine allows from this status (for a 409 that names them).
    pub fn allowed(self) -> Vec<LineAction> {
        [
            LineAction::Approve,
            LineAction::Hold,
            LineAction::Release,
            LineAction::Cancel,
            LineAction::Pay,
        ]
        .into_iter()
        .filter(|a| self.after(*a, None).is_some())
        .collect()
    }

    /// A Zoho status value, if it is one of the contract's (case and spacing ignored;
    /// "On Hold" is held). Unknown values are `None`: the line stays as it is.
    pub fn from_crm(value: &str) -> Option<LineStatus> {
        match value
            .trim()
            .to_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "pending" => Some(LineStatus::Pending),
            "approved" => Some(LineStatus::Approved),
            "held" | "on_hold" => Some(LineStatus::Held),
            "paid" => Some(LineStatus::Paid),
            "cancelled" | "canceled" => Some(LineStatus::Cancelled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LineAction::*;
    use super::LineStatus::*;
    use super::*;

    #[test]
    fn every_allowed_and_refused_move() {
        let allowed = [
            (Pending, Approve, Approved),
            (Pending, Hold, Held),
            (Approved, Hold, Held),
            (Pending, Cancel, Cancelled),
            (Approved, Cancel, Cancelled),
            (Held, Cancel, Cancelled),
            (Held, Release, Pending),
            (Approved, Pay, Paid),
        ];
        for status in LineStatus::ALL {
            for action in [Approve, Hold, Release, Cancel, Pay] {
                let expected = allowed
                    .iter()
                    .find(|(s, a, _)| *s == status && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    status.after(action, None),
                    expected,
                    "{status:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn a_release_returns_to_where_the_line_was_held_and_final_states_stay() {
        assert_eq!(Held.after(Release, Some(Approved)), Some(Approved));
        assert_eq!(Held.after(Release, Some(Pending)), Some(Pending));
        for final_status in [Paid, Cancelled] {
            assert!(final_status.is_final() && final_status.allowed().is_empty());
            assert!(!final_status.is_owed());
        }
        assert_eq!(Approved.allowed(), vec![Hold, Cancel, Pay]);
    }

    #[test]
    fn zoho_statuses_map_to_the_contract_or_to_nothing() {
        assert_eq!(LineStatus::from_crm(" On Hold "), Some(Held));
        assert_eq!(LineStatus::from_crm("Paid"), Some(Paid));
        assert_eq!(LineStatus::from_crm("Canceled"), Some(Cancelled));
        assert_eq!(LineStatus::from_crm("Disputed"), None);
    }
}
