//! The period and filters of a report, from query parameters shared by the
//! API and the bookmarkable web form. Every field is text so an empty form
//! field means "any"; each is checked and named when it is wrong.

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};
use tend_domain::Invalid;
use tend_domain::case::{Channel, parse_tag};
use tend_domain::ids::{AgentId, AgreementId, TeamId};
use tend_store::reports::ReportFilter;
use utoipa::IntoParams;

/// Days a period covers when `from` is not given.
pub const DEFAULT_DAYS: i64 = 30;
/// Longest period, in days.
pub const MAX_DAYS: i64 = 366;

/// A report's period and filters.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day, YYYY-MM-DD (UTC). Default: 30 days before `to`.
    pub from: Option<String>,
    /// The day after the last, YYYY-MM-DD, not included. Default: tomorrow,
    /// so the period ends with today. At most 366 days after `from`.
    pub to: Option<String>,
    /// Only cases of this team.
    pub team_id: Option<String>,
    /// Only cases assigned to this agent.
    pub assignee_id: Option<String>,
    /// Only cases opened on this channel.
    pub channel: Option<String>,
    /// Only cases with this tag.
    pub tag: Option<String>,
    /// Only cases under this agreement.
    pub agreement_id: Option<String>,
}

/// A parameter's value, `None` when absent or blank.
fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn date(field: &str, raw: &str) -> Result<Date, Invalid> {
    raw.parse::<Date>()
        .map_err(|_| Invalid::new(field, format!("`{raw}` is not a date: use YYYY-MM-DD")))
}

fn id(field: &str, raw: Option<&str>) -> Result<Option<i64>, Invalid> {
    raw.map(|v| {
        v.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Invalid::new(field, format!("`{v}` is not an id")))
    })
    .transpose()
}

fn start_of(day: Date) -> Result<Timestamp, Invalid> {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| Invalid::new("from", "date out of range"))
}

impl ReportParams {
    /// The period as dates: (first day, day after the last), given `today`.
    pub fn period(&self, today: Date) -> Result<(Date, Date), Invalid> {
        let to = match given(&self.to) {
            Some(raw) => date("to", raw)?,
            None => today.tomorrow().unwrap_or(today),
        };
        let from = match given(&self.from) {
            Some(raw) => date("from", raw)?,
            None => to
                .checked_sub(Span::new().days(DEFAULT_DAYS))
                .map_err(|_| Invalid::new("to", "date out of range"))?,
        };
        if from >= to {
            return Err(Invalid::new("to", "must be after `from`"));
        }
        if (to - from).get_days() > i32::try_from(MAX_DAYS).unwrap_or(i32::MAX) {
            return Err(Invalid::new(
                "to",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
        }
        Ok((from, to))
    }

    /// The store's filter, given `today`; every field checked.
    pub fn filter(&self, today: Date) -> Result<ReportFilter, Invalid> {
        let (from, to) = self.period(today)?;
        Ok(ReportFilter {
            from: start_of(from)?,
            to: start_of(to)?,
            team_id: id("team_id", given(&self.team_id))?.map(TeamId),
            assignee_id: id("assignee_id", given(&self.assignee_id))?.map(AgentId),
            channel: given(&self.channel)
                .map(|c| Channel::parse("channel", c))
                .transpose()?,
            tag: given(&self.tag).map(|t| parse_tag("tag", t)).transpose()?,
            agreement_id: id("agreement_id", given(&self.agreement_id))?.map(AgreementId),
        })
    }

    /// The parameters as a query string (for links that keep the filters),
    /// with the period spelled out.
    pub fn query(&self, from: Date, to: Date) -> String {
        let mut pairs = vec![("from", from.to_string()), ("to", to.to_string())];
        for (name, value) in [
            ("team_id", &self.team_id),
            ("assignee_id", &self.assignee_id),
            ("channel", &self.channel),
            ("tag", &self.tag),
            ("agreement_id", &self.agreement_id),
        ] {
            if let Some(v) = given(value) {
                pairs.push((name, v.to_owned()));
            }
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// Today in UTC, the calendar reports use.
pub fn today() -> Date {
    Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn params(from: &str, to: &str) -> ReportParams {
        ReportParams {
            from: Some(from.into()),
            to: Some(to.into()),
            ..ReportParams::default()
        }
    }

    #[test]
    fn the_default_period_is_the_last_thirty_days_with_today() {
        let (from, to) = ReportParams::default().period(date(2026, 12, 3)).unwrap();
        assert_eq!((from, to), (date(2026, 11, 4), date(2026, 12, 4)));
    }

    #[test]
    fn bad_periods_name_their_field() {
        let today = date(2026, 12, 3);
        assert_eq!(
            params("2026-13-01", "").period(today).unwrap_err().field,
            "from"
        );
        assert_eq!(
            params("2026-12-02", "2026-12-02")
                .period(today)
                .unwrap_err()
                .field,
            "to"
        );
        assert_eq!(
            params("2025-01-01", "2026-12-01")
                .period(today)
                .unwrap_err()
                .field,
            "to"
        );
        assert!(params("2025-12-01", "2026-12-02").period(today).is_ok());
        let bad_channel = ReportParams {
            channel: Some("fax".into()),
            ..ReportParams::default()
        };
        assert_eq!(bad_channel.filter(today).unwrap_err().field, "channel");
        let blank = ReportParams {
            team_id: Some(" ".into()),
            ..ReportParams::default()
        };
        assert!(blank.filter(today).unwrap().team_id.is_none());
    }
}
