//! The one state scale every monitor maps onto.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a monitor says about the thing it watches, worst last.
///
/// `Unknown` is not a vendor state: it means the monitor itself could not be read
/// (timeout, HTTP error, parse error…). It never opens a vendor incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Operational,
    Maintenance,
    Degraded,
    PartialOutage,
    MajorOutage,
    Unknown,
}

impl Health {
    pub const ALL: [Health; 6] = [
        Health::Operational,
        Health::Maintenance,
        Health::Degraded,
        Health::PartialOutage,
        Health::MajorOutage,
        Health::Unknown,
    ];

    /// Severity among vendor states; `Unknown` ranks between maintenance and degraded
    /// because "we cannot tell" deserves more attention than planned work but less than
    /// a confirmed problem.
    pub fn rank(self) -> u8 {
        match self {
            Health::Operational => 0,
            Health::Maintenance => 1,
            Health::Unknown => 2,
            Health::Degraded => 3,
            Health::PartialOutage => 4,
            Health::MajorOutage => 5,
        }
    }

    /// The worse of two states by [`Health::rank`].
    pub fn worst(self, other: Health) -> Health {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// The worst of many states; operational when there are none.
    pub fn worst_of(states: impl IntoIterator<Item = Health>) -> Health {
        states.into_iter().fold(Health::Operational, Health::worst)
    }

    /// A state that means something is broken and deserves an incident.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Health::Degraded | Health::PartialOutage | Health::MajorOutage
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Operational => "operational",
            Health::Maintenance => "maintenance",
            Health::Degraded => "degraded",
            Health::PartialOutage => "partial_outage",
            Health::MajorOutage => "major_outage",
            Health::Unknown => "unknown",
        }
    }

    /// Words for people: notifications, menus, the CLI table.
    pub fn label(self) -> &'static str {
        match self {
            Health::Operational => "operational",
            Health::Maintenance => "maintenance",
            Health::Degraded => "degraded",
            Health::PartialOutage => "partial outage",
            Health::MajorOutage => "major outage",
            Health::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.as_str() == s)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_signal_wins() {
        assert_eq!(
            Health::worst_of([Health::Operational, Health::PartialOutage, Health::Degraded]),
            Health::PartialOutage
        );
        assert_eq!(Health::worst_of([]), Health::Operational);
        assert_eq!(
            Health::Maintenance.worst(Health::Unknown),
            Health::Unknown,
            "cannot-tell outranks planned maintenance"
        );
    }

    #[test]
    fn names_round_trip() {
        for h in Health::ALL {
            assert_eq!(Health::parse(h.as_str()), Some(h));
            let json = serde_json::to_string(&h).unwrap();
            assert_eq!(json, format!("\"{}\"", h.as_str()));
        }
        assert!(!Health::Unknown.is_problem());
        assert!(!Health::Maintenance.is_problem());
    }
}
