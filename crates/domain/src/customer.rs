//! Customers, their contact points, organisations and agreements.

crate::string_enum!(
    /// How sure the business is of who the customer is. A verified identity
    /// travels with the customer across channels and cases.
    VerificationLevel {
        /// Nothing checked yet.
        Unverified = "unverified",
        /// The customer proved control of an email address.
        EmailVerified = "email_verified",
        /// An agent verified the customer, recording how.
        AgentVerified = "agent_verified",
    }
);

crate::string_enum!(
    /// A way to reach a customer.
    ContactKind {
        /// An email address.
        Email = "email",
        /// A phone number.
        Phone = "phone",
    }
);

crate::string_enum!(
    /// Where a plan, contract or subscription stands.
    AgreementStatus {
        /// Agreed but not started.
        Pending = "pending",
        /// In force.
        Active = "active",
        /// Temporarily not in force.
        Suspended = "suspended",
        /// Over.
        Ended = "ended",
    }
);

/// Normalises a phone number to `+` and digits, so the same number written
/// two ways is one contact point.
pub fn normalize_phone(field: &str, raw: &str) -> Result<String, crate::Invalid> {
    let trimmed = raw.trim();
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => {
                return Err(crate::Invalid::new(
                    field,
                    format!("`{trimmed}` is not a phone number"),
                ));
            }
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(5..=17).contains(&digits) {
        return Err(crate::Invalid::new(
            field,
            "a phone number has 5 to 17 digits",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_and_reject_letters() {
        assert_eq!(
            normalize_phone("phone", "+44 (20) 7946-0958").unwrap(),
            "+442079460958"
        );
        assert!(normalize_phone("phone", "call me").is_err());
        assert!(normalize_phone("phone", "12").is_err());
    }
}
