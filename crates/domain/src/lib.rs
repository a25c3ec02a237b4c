//! Tend's domain: the people, cases and the append-only case event log, with
//! the pure functions that derive case state from that log. Nothing here does
//! I/O; storage and the web layer build on these types.

pub mod agent;
pub mod appointment;
pub mod article_search;
pub mod calendar;
pub mod canned;
pub mod case;
pub mod contact;
pub mod customer;
pub mod effort;
pub mod email;
pub mod event;
pub mod expectation;
pub mod frustration;
pub mod html;
pub mod html_bound;
pub mod ids;
pub mod invalid;
pub mod invite;
pub mod kb;
pub mod links;
pub mod notification;
pub mod preferences;
pub mod promise;
pub mod quote;
pub mod related;
pub mod remote_images;
pub mod repeat;
pub mod resolve_undo;
pub mod routing;
pub mod rules;
pub mod sla;
pub mod state;
pub mod stats;
mod string_enum;
pub mod survey;
pub mod task;
pub mod text;
pub mod waiting;
pub mod webhook;

pub use invalid::Invalid;

#[cfg(test)]
mod tests {
    use crate::*;
    /// serde (and so the API and OpenAPI document) and `as_str` must agree.
    #[test]
    fn wire_words_match_serde_for_every_enum() {
        fn check<T: serde::Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
            for v in all {
                assert_eq!(
                    serde_json::to_value(v).unwrap(),
                    serde_json::Value::from(as_str(*v))
                );
            }
        }
        check(case::Status::ALL, case::Status::as_str);
        check(case::Priority::ALL, case::Priority::as_str);
        check(case::Channel::ALL, case::Channel::as_str);
        check(agent::Role::ALL, agent::Role::as_str);
        check(
            customer::VerificationLevel::ALL,
            customer::VerificationLevel::as_str,
        );
        check(customer::ContactKind::ALL, customer::ContactKind::as_str);
        check(
            customer::AgreementStatus::ALL,
            customer::AgreementStatus::as_str,
        );
        check(event::ActorKind::ALL, event::ActorKind::as_str);
        check(promise::PromiseKeeper::ALL, promise::PromiseKeeper::as_str);
        check(promise::PromiseState::ALL, promise::PromiseState::as_str);
        check(email::DeliveryStatus::ALL, email::DeliveryStatus::as_str);
        check(effort::ActionKind::ALL, effort::ActionKind::as_str);
        check(effort::Direction::ALL, effort::Direction::as_str);
        check(effort::EffortLevel::ALL, effort::EffortLevel::as_str);
        check(effort::Driver::ALL, effort::Driver::as_str);
        check(survey::SurveyKind::ALL, survey::SurveyKind::as_str);
        check(quote::QuoteStatus::ALL, quote::QuoteStatus::as_str);
        check(quote::Decision::ALL, quote::Decision::as_str);
        check(task::OwnerKind::ALL, task::OwnerKind::as_str);
        check(task::TaskStatus::ALL, task::TaskStatus::as_str);
        check(
            appointment::AppointmentStatus::ALL,
            appointment::AppointmentStatus::as_str,
        );
        check(appointment::Step::ALL, appointment::Step::as_str);
        check(
            notification::NotificationKind::ALL,
            notification::NotificationKind::as_str,
        );
        check(
            notification::EmailNotifications::ALL,
            notification::EmailNotifications::as_str,
        );
    }
}
