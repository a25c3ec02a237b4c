//! The reports a lead reads: customer effort, service times and surveys for
//! a period and filters. Effort and service reports add up the facts of the
//! period's days (`facts`): without a filter, or with one by channel, team,
//! agent or tag, from the stored per-day summary (`rollup`), so their cost
//! follows the days of the period, not its cases; with other filters from
//! the matching cases. Survey answers are few and read
//! from the event log. The maths is in `tend_domain::stats`. Days and weeks
//! are UTC.

mod facts;
mod rollup;

use crate::sql::Sql;
use crate::time::{from_micros, micros};
use crate::{Result, Store};
use facts::{COLUMNS, CaseFacts, Collector, DAY, Days, Fact, Tally, day_of, scope};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use tend_domain::case::Channel;
use tend_domain::effort::{Driver, EffortLevel, EffortTally};
use tend_domain::ids::{AgentId, AgreementId, CaseId, TeamId};
use tend_domain::stats;
use utoipa::ToSchema;

/// Cases listed as the period's highest effort.
pub const HIGHEST: usize = 20;

/// Which cases a report covers.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// Start of the period (inclusive): a UTC midnight.
    pub from: Timestamp,
    /// End of the period (exclusive): a UTC midnight.
    pub to: Timestamp,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<AgentId>,
    pub channel: Option<Channel>,
    pub tag: Option<String>,
    pub agreement_id: Option<AgreementId>,
}

impl ReportFilter {
    /// The summary scope that holds exactly the cases the filters keep:
    /// every case's without a filter, a filter value's with one filter by
    /// channel, team, agent or tag. `None` for other filters (several, or an
    /// agreement, which keeps one customer's cases): those read the cases.
    fn summary_scope(&self) -> Option<String> {
        let values = [
            self.channel.map(|c| scope("channel", c.as_str())),
            self.team_id.map(|t| scope("team", &t.0.to_string())),
            self.assignee_id.map(|a| scope("agent", &a.0.to_string())),
            self.tag.as_deref().map(|t| scope("tag", t)),
        ];
        let mut given = values.into_iter().flatten();
        match (self.agreement_id, given.next(), given.next()) {
            (None, None, _) => Some(String::new()),
            (None, Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// Adds the filters (not the period) on the cases aliased `c`, merged
    /// cases left out.
    fn narrow(&self, sql: &mut Sql) {
        sql.and().push("c.merged_into_id IS NULL");
        // The unary plus keeps SQLite from reading a team's or agent's
        // cases of all time by their index: the period's range bounds the
        // work instead. PostgreSQL accepts it as a no-op.
        sql.eq("+c.team_id", self.team_id.map(|t| t.0))
            .eq("+c.assignee_id", self.assignee_id.map(|a| a.0))
            .eq("c.channel", self.channel.map(|c| c.as_str()))
            .eq("c.agreement_id", self.agreement_id.map(|a| a.0));
        if let Some(tag) = &self.tag {
            sql.and()
                .push("EXISTS (SELECT 1 FROM case_tags t WHERE t.case_id = c.id AND t.tag = ")
                .arg(tag.as_str())
                .push(")");
        }
    }

    /// Adds `column` in [from, to).
    fn period(&self, sql: &mut Sql, column: &str) {
        sql.and()
            .push(column)
            .push(" >= ")
            .arg(micros(self.from))
            .push(" AND ")
            .push(column)
            .push(" < ")
            .arg(micros(self.to));
    }
}

/// Where a case's effort comes from, and how it is spread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EffortReport {
    /// Cases created in the period.
    pub cases: u64,
    /// Their mean effort index (null without cases).
    pub average_index: Option<f64>,
    /// Cases per level, low to high.
    pub levels: Vec<LevelCount>,
    /// Cases per 10-point band of the index (the last band takes 100).
    pub histogram: Vec<IndexBand>,
    /// Per ISO week (Monday to Sunday) of creation.
    pub weeks: Vec<WeekEffort>,
    /// Points and cases per driver, most points first.
    pub drivers: Vec<DriverTotal>,
    pub by_team: Vec<Breakdown>,
    pub by_agent: Vec<Breakdown>,
    pub by_channel: Vec<Breakdown>,
    pub by_tag: Vec<Breakdown>,
    /// By agreement name, which serves as its type.
    pub by_agreement: Vec<Breakdown>,
    /// The period's highest-effort cases, highest first.
    pub highest: Vec<HighEffortCase>,
}

/// Cases at one effort level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: EffortLevel,
    pub cases: u64,
}

/// Cases whose index lies in [from, to].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexBand {
    pub from: u32,
    pub to: u32,
    pub cases: u64,
}

/// A week's effort.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekEffort {
    /// `2026-W49`.
    pub week: String,
    /// Its Monday, YYYY-MM-DD.
    pub starts_on: String,
    pub cases: u64,
    pub average_index: f64,
}

/// One driver's share of the period's effort.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverTotal {
    pub driver: Driver,
    /// Points it added over all cases.
    pub points: u64,
    /// Cases it added points to.
    pub cases: u64,
}

/// Effort for one team, agent, channel, tag or agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdown {
    /// The id or word grouped by (empty for "none").
    pub key: String,
    /// As people read it.
    pub name: String,
    pub cases: u64,
    pub average_index: f64,
    /// Share of these cases at high effort, 0–1.
    pub high_share: f64,
}

/// A case among the period's highest effort, with why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HighEffortCase {
    pub case_id: CaseId,
    pub subject: String,
    pub index: u32,
    pub level: EffortLevel,
    /// The explanation lines, largest first ("3 chasers +15").
    pub lines: Vec<String>,
}

/// Service times and rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceReport {
    /// Cases created in the period.
    pub cases: u64,
    /// From creation to the first agent answer, over cases created in the
    /// period that have one.
    pub first_response: Percentiles,
    /// From creation to resolution, over cases resolved in the period.
    pub resolution: Percentiles,
    /// Of the cases resolved in the period: resolved on the customer's first
    /// contact, never reopened.
    pub first_contact_resolution: Rate,
    /// Of the cases created in the period: repeats of an earlier case.
    pub repeat_contact: Rate,
    /// Of the cases created in the period: reopened at least once.
    pub reopened: Rate,
    /// Open cases at the end of each day of the period.
    pub backlog: Vec<DayBacklog>,
}

/// The middle and the slow end of a duration, in seconds, to two
/// significant figures (durations are counted in buckets that fine).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Percentiles {
    /// How many durations were measured.
    pub cases: u64,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// `count` of `of`, and their ratio (null when `of` is 0).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rate {
    pub count: u64,
    pub of: u64,
    pub rate: Option<f64>,
}

/// Cases open at the end of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayBacklog {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub open: u64,
}

/// Survey answers and how well the effort index predicts them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyReport {
    /// Cases sent a survey in the period.
    pub surveyed: u64,
    /// Cases that answered one in the period.
    pub answered: u64,
    /// answered / surveyed (null when none was sent).
    pub response_rate: Option<f64>,
    /// Customer effort score, 1 (hard) to 7 (easy).
    pub ces: ScoreSummary,
    /// Satisfaction, 1 to 5.
    pub csat: ScoreSummary,
    /// The effort index against CES.
    pub calibration: Calibration,
}

/// Answers to one question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreSummary {
    pub answers: u64,
    pub average: Option<f64>,
    /// Answers per score, lowest first, every score listed.
    pub distribution: Vec<ScoreCount>,
}

/// Answers with one score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreCount {
    pub score: u32,
    pub answers: u64,
}

/// Whether the effort index ranks cases as their customers do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Calibration {
    /// Cases with a CES answer.
    pub cases: u64,
    /// Spearman's rank correlation of effort index and CES; a model that
    /// fits is clearly negative (more effort, less ease). Null with fewer
    /// than two cases or no spread.
    pub spearman: Option<f64>,
    /// The scatter: cases per (effort index, CES) pair.
    pub points: Vec<CalibrationPoint>,
}

/// How many answered cases share an effort index and a CES score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalibrationPoint {
    pub effort_index: u32,
    pub ces: u32,
    pub cases: u64,
}

/// Sums for a mean index and a high-effort share.
/// Sums for a mean index and a high-effort share.
#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    cases: u64,
    index: u64,
    high: u64,
}

impl Sum {
    fn add(&mut self, tally: Tally) {
        self.cases += count(tally.n);
        self.index += count(tally.total);
        self.high += count(tally.high);
    }

    fn average(&self) -> f64 {
        ratio(self.index, self.cases).unwrap_or(0.0)
    }
}

/// A stored count as unsigned (never negative; 0 if it were).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn ratio(count: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| count as f64 / of as f64)
}

fn rate(count: u64, of: u64) -> Rate {
    Rate {
        count,
        of,
        rate: ratio(count, of),
    }
}

/// The calendar date of a day numbered from the epoch.
fn date_of(day: i64) -> Date {
    from_micros(day * DAY)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default()
}

/// Breakdown rows from sums keyed by id or word, named by `name`, largest
/// first; keys that name the same thing are merged.
fn breakdown(sums: HashMap<String, Sum>, name: impl Fn(&str) -> String) -> Vec<Breakdown> {
    let mut named: BTreeMap<(String, String), Sum> = BTreeMap::new();
    for (key, sum) in sums {
        let n = if key.is_empty() {
            "(none)".to_owned()
        } else {
            name(&key)
        };
        let merged = named.entry((n, key)).or_default();
        merged.cases += sum.cases;
        merged.index += sum.index;
        merged.high += sum.high;
    }
    let mut rows: Vec<Breakdown> = named
        .into_iter()
        .map(|((name, key), sum)| Breakdown {
            key,
            name,
            cases: sum.cases,
            average_index: sum.average(),
            high_share: ratio(sum.high, sum.cases).unwrap_or(0.0),
        })
        .collect();
    rows.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.name.cmp(&b.name)));
    rows
}

/// Facts the effort report reads.
const EFFORT_FACTS: &[Fact] = &[
    Fact::Cases,
    Fact::Level,
    Fact::Band,
    Fact::Driver,
    Fact::Team,
    Fact::Agent,
    Fact::Channel,
    Fact::Tag,
    Fact::Agreement,
    Fact::Highest,
];
/// Facts the service report reads.
const SERVICE_FACTS: &[Fact] = &[
    Fact::Cases,
    Fact::Repeat,
    Fact::Reopened,
    Fact::FirstResponse,
    Fact::Resolved,
    Fact::Resolution,
    Fact::FirstContact,
];

impl Store {
    /// The effort report: cases created in the period.
    pub async fn effort_report(&self, filter: &ReportFilter) -> Result<EffortReport> {
        let (days, _) = self.period_facts(filter, EFFORT_FACTS).await?;
        let mut total = Sum::default();
        let mut levels: HashMap<String, u64> = HashMap::new();
        let mut bands = [0u64; 10];
        let mut weeks: BTreeMap<Date, Sum> = BTreeMap::new();
        let mut drivers: HashMap<String, (u64, u64)> = HashMap::new();
        let mut by: HashMap<Fact, HashMap<String, Sum>> = HashMap::new();
        // (index, id): the period's highest is among its days' highest.
        let mut highest: Vec<(u32, i64)> = Vec::new();
        for (day, facts) in &days {
            for ((fact, key), tally) in facts {
                match fact {
                    Fact::Cases => {
                        total.add(*tally);
                        weeks
                            .entry(stats::week_of(date_of(*day)))
                            .or_default()
                            .add(*tally);
                    }
                    Fact::Level => *levels.entry(key.clone()).or_default() += count(tally.n),
                    Fact::Band => {
                        let band = key.parse::<usize>().unwrap_or(9).min(9);
                        bands[band] += count(tally.n);
                    }
                    Fact::Driver => {
                        let d = drivers.entry(key.clone()).or_default();
                        d.0 += count(tally.total);
                        d.1 += count(tally.n);
                    }
                    Fact::Highest => {
                        if let Ok(id) = key.parse() {
                            highest.push((u32::try_from(tally.total).unwrap_or(0), id));
                        }
                    }
                    _ => by
                        .entry(*fact)
                        .or_default()
                        .entry(key.clone())
                        .or_default()
                        .add(*tally),
                }
            }
        }
        highest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        highest.truncate(HIGHEST);
        let names = self.report_names(&highest).await?;
        let mut drivers: Vec<DriverTotal> = drivers
            .into_iter()
            .filter_map(|(driver, (points, cases))| {
                Some(DriverTotal {
                    driver: Driver::parse("driver", &driver).ok()?,
                    points,
                    cases,
                })
            })
            .collect();
        drivers.sort_by(|a, b| {
            b.points
                .cmp(&a.points)
                .then_with(|| a.driver.as_str().cmp(b.driver.as_str()))
        });
        let mut breakdown_of = |fact: Fact, name: &dyn Fn(&str) -> String| {
            breakdown(by.remove(&fact).unwrap_or_default(), name)
        };
        Ok(EffortReport {
            cases: total.cases,
            average_index: ratio(total.index, total.cases),
            levels: [EffortLevel::Low, EffortLevel::Medium, EffortLevel::High]
                .into_iter()
                .map(|level| LevelCount {
                    level,
                    cases: levels.get(level.as_str()).copied().unwrap_or(0),
                })
                .collect(),
            histogram: (0u32..10)
                .zip(bands)
                .map(|(i, cases)| IndexBand {
                    from: i * 10,
                    to: if i == 9 { 100 } else { i * 10 + 9 },
                    cases,
                })
                .collect(),
            weeks: weeks
                .into_iter()
                .map(|(monday, sum)| WeekEffort {
                    week: stats::week_label(monday),
                    starts_on: monday.to_string(),
                    cases: sum.cases,
                    average_index: sum.average(),
                })
                .collect(),
            drivers,
            by_team: breakdown_of(Fact::Team, &|k| names.name(&names.teams, k)),
            by_agent: breakdown_of(Fact::Agent, &|k| names.name(&names.agents, k)),
            by_channel: breakdown_of(Fact::Channel, &|k| k.to_owned()),
            by_tag: breakdown_of(Fact::Tag, &|k| k.to_owned()),
            by_agreement: breakdown_of(Fact::Agreement, &|k| names.name(&names.agreements, k)),
            highest: names.highest,
        })
    }

    /// The facts of the period's days, of the kinds given, and how many
    /// cases were open at its start. Without a filter, or with one of the
    /// filters the summary is kept for, they come from the stored summary
    /// (a few rows per day); otherwise from the matching cases.
    async fn period_facts(&self, filter: &ReportFilter, kinds: &[Fact]) -> Result<(Days, i64)> {
        let (from, to) = (day_of(micros(filter.from)), day_of(micros(filter.to)));
        let backlog = kinds.contains(&Fact::Resolved);
        if let Some(scope) = filter.summary_scope() {
            let days = self.summary_days(&scope, from, to, kinds).await?;
            let open = if backlog {
                self.summary_open_before(&scope, from).await?
            } else {
                0
            };
            return Ok((days, open));
        }
        let mut collector = Collector::default();
        let (start, end) = (micros(filter.from), micros(filter.to));
        let sides: &[Side] = if backlog {
            &[Side::Created, Side::Resolved]
        } else {
            &[Side::Created]
        };
        for &side in sides {
            self.collect(side, start, end, Some(filter), |case| {
                collector.add_case(side, case)
            })
            .await?;
        }
        if !backlog {
            return Ok((collector.finish(), 0));
        }
        // Cases created before the period and still open at its start:
        // resolved since, or not at all (two index ranges, not a scan of
        // every older case).
        let mut open = 0;
        for still_open in ["c.resolved_at >= ", "c.resolved_at IS NULL"] {
            let mut sql = Sql::new("SELECT COUNT(*) AS n FROM cases c");
            sql.and().push(still_open);
            if still_open.ends_with(' ') {
                sql.arg(start);
            }
            sql.push(" AND c.created_at < ").arg(start);
            filter.narrow(&mut sql);
            open += sql
                .query()
                .fetch_one(&self.reader)
                .await?
                .try_get::<i64, _>("n")?;
        }
        Ok((collector.finish(), open))
    }

    /// Hands `each` the cases created (or resolved) in [`from`, `to`) that
    /// `filter` keeps (all but merged ones without a filter).
    pub(crate) async fn collect(
        &self,
        side: Side,
        from: i64,
        to: i64,
        filter: Option<&ReportFilter>,
        mut each: impl FnMut(&CaseFacts),
    ) -> Result<()> {
        let column = match side {
            Side::Created => "c.created_at",
            Side::Resolved => "c.resolved_at",
        };
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM cases c"));
        sql.and()
            .push(column)
            .push(" >= ")
            .arg(from)
            .push(" AND ")
            .push(column)
            .push(" < ")
            .arg(to);
        match filter {
            Some(filter) => filter.narrow(&mut sql),
            None => {
                sql.push(" AND c.merged_into_id IS NULL");
            }
        }
        let weights = self.effort_weights();
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            each(&CaseFacts::from_row(&row, weights)?);
        }
        Ok(())
    }

    /// Names of teams, agents and agreements, and the highest-effort cases
    /// (index, id) with their subjects and explanations.
    async fn report_names(&self, highest: &[(u32, i64)]) -> Result<Names> {
        let teams = self
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.id.0.to_string(), t.name))
            .collect();
        let agents = self
            .agents()
            .await?
            .into_iter()
            .map(|a| (a.id.0.to_string(), a.name))
            .collect();
        let agreements = sqlx::query("SELECT id, name FROM agreements")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>("id")?.to_string(), r.try_get("name")?)))
            .collect::<Result<_>>()?;
        let mut cases = HashMap::new();
        if !highest.is_empty() {
            let ids: Vec<i64> = highest.iter().map(|h| h.1).collect();
            let mut sql = Sql::new("SELECT id, subject, effort FROM cases WHERE id IN ");
            sql.id_list(&ids);
            for r in sql.query().fetch_all(&self.reader).await? {
                let tally: EffortTally = crate::rows::json(&r, "effort")?;
                cases.insert(
                    r.try_get::<i64, _>("id")?,
                    (
                        r.try_get::<String, _>("subject")?,
                        self.effort_weights().score(&tally),
                    ),
                );
            }
        }
        let highest = highest
            .iter()
            .filter_map(|(index, id)| {
                let (subject, effort) = cases.remove(id)?;
                Some(HighEffortCase {
                    case_id: CaseId(*id),
                    subject,
                    index: *index,
                    level: effort.level,
                    lines: effort.lines.into_iter().map(|l| l.text).collect(),
                })
            })
            .collect();
        Ok(Names {
            teams,
            agents,
            agreements,
            highest,
        })
    }

    /// The service report: response and resolution times, rates and the
    /// backlog.
    pub async fn service_report(&self, filter: &ReportFilter) -> Result<ServiceReport> {
        let (days, open_at_start) = self.period_facts(filter, SERVICE_FACTS).await?;
        let mut sums: HashMap<Fact, u64> = HashMap::new();
        let mut first_responses: BTreeMap<i64, u64> = BTreeMap::new();
        let mut resolutions: BTreeMap<i64, u64> = BTreeMap::new();
        for facts in days.values() {
            for ((fact, key), tally) in facts {
                let histogram = match fact {
                    Fact::FirstResponse => &mut first_responses,
                    Fact::Resolution => &mut resolutions,
                    _ => {
                        *sums.entry(*fact).or_default() += count(tally.n);
                        continue;
                    }
                };
                if let Ok(seconds) = key.parse() {
                    *histogram.entry(seconds).or_default() += count(tally.n);
                }
            }
        }
        let (from, to) = (day_of(micros(filter.from)), day_of(micros(filter.to)));
        let mut running = open_at_start;
        let backlog = (from..to)
            .map(|day| {
                let change = |fact| days.get(&day).and_then(|f| f.get(&(fact, String::new())));
                running += change(Fact::Cases).map_or(0, |t| t.n)
                    - change(Fact::Resolved).map_or(0, |t| t.n);
                DayBacklog {
                    day: date_of(day).to_string(),
                    open: count(running),
                }
            })
            .collect();
        let sum = |fact| sums.get(&fact).copied().unwrap_or(0);
        let cases = sum(Fact::Cases);
        Ok(ServiceReport {
            cases,
            first_response: percentiles(&first_responses),
            resolution: percentiles(&resolutions),
            first_contact_resolution: rate(sum(Fact::FirstContact), sum(Fact::Resolved)),
            repeat_contact: rate(sum(Fact::Repeat), cases),
            reopened: rate(sum(Fact::Reopened), cases),
            backlog,
        })
    }
}

/// Which time a case is counted by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    /// The day it was created.
    Created,
    /// The day it was resolved.
    Resolved,
}

impl Store {
    /// The survey report: answers given in the period (the latest per case
    /// and question), and surveys sent in it.
    pub async fn survey_report(&self, filter: &ReportFilter) -> Result<SurveyReport> {
        let mut sql = Sql::new(
            "SELECT e.case_id, e.kind, e.data, c.effort_index FROM case_events e \
             JOIN cases c ON c.id = e.case_id",
        );
        sql.and()
            .push("e.kind IN ('survey_sent', 'survey_answered')");
        filter.period(&mut sql, "e.created_at");
        filter.narrow(&mut sql);
        sql.push(" ORDER BY e.id");
        let mut surveyed = std::collections::HashSet::new();
        // (case, question) -> (score, effort index); later answers replace.
        let mut answers: HashMap<(i64, String), (u32, u32)> = HashMap::new();
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let case: i64 = row.try_get("case_id")?;
            if row.try_get::<String, _>("kind")? == "survey_sent" {
                surveyed.insert(case);
                continue;
            }
            let data: serde_json::Value = crate::rows::json(&row, "data")?;
            let (Some(kind), Some(score)) = (
                data["kind"].as_str(),
                data["score"].as_u64().and_then(|s| u32::try_from(s).ok()),
            ) else {
                continue;
            };
            let index = u32::try_from(row.try_get::<i64, _>("effort_index")?).unwrap_or(0);
            answers.insert((case, kind.to_owned()), (score, index));
        }
        drop(rows);
        let answered: std::collections::HashSet<i64> = answers.keys().map(|k| k.0).collect();
        let of_kind = |kind: &str| -> Vec<(u32, u32)> {
            answers
                .iter()
                .filter(|((_, k), _)| k == kind)
                .map(|(_, v)| *v)
                .collect()
        };
        let ces = of_kind("ces");
        let pairs: Vec<(f64, f64)> = ces
            .iter()
            .map(|(score, index)| (f64::from(*index), f64::from(*score)))
            .collect();
        let mut points: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        for (score, index) in &ces {
            *points.entry((*index, *score)).or_default() += 1;
        }
        Ok(SurveyReport {
            surveyed: surveyed.len() as u64,
            answered: answered.len() as u64,
            response_rate: ratio(answered.len() as u64, surveyed.len() as u64),
            ces: summary(&ces, 7),
            csat: summary(&of_kind("csat"), 5),
            calibration: Calibration {
                cases: ces.len() as u64,
                spearman: stats::spearman(&pairs),
                points: points
                    .into_iter()
                    .map(|((effort_index, ces), cases)| CalibrationPoint {
                        effort_index,
                        ces,
                        cases,
                    })
                    .collect(),
            },
        })
    }
}

/// Names by id, for breakdown rows, and the highest-effort cases.
struct Names {
    teams: HashMap<String, String>,
    agents: HashMap<String, String>,
    agreements: HashMap<String, String>,
    highest: Vec<HighEffortCase>,
}

impl Names {
    fn name(&self, names: &HashMap<String, String>, key: &str) -> String {
        names.get(key).cloned().unwrap_or_else(|| format!("#{key}"))
    }
}

/// Percentiles of durations counted per (bucketed) number of seconds.
fn percentiles(seconds: &BTreeMap<i64, u64>) -> Percentiles {
    Percentiles {
        cases: seconds.values().sum(),
        p50_seconds: stats::percentile(seconds, 50),
        p90_seconds: stats::percentile(seconds, 90),
    }
}

/// Answers (score, effort index) to a question scored 1 to `max`.
fn summary(answers: &[(u32, u32)], max: u32) -> ScoreSummary {
    let total: u64 = answers.iter().map(|(s, _)| u64::from(*s)).sum();
    ScoreSummary {
        answers: answers.len() as u64,
        average: ratio(total, answers.len() as u64),
        distribution: (1..=max)
            .map(|score| ScoreCount {
                score,
                answers: answers.iter().filter(|(s, _)| *s == score).count() as u64,
            })
            .collect(),
    }
}
