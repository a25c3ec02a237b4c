//! The reports a lead reads: customer effort, service times and surveys for
//! a period and filters. Each report streams the case rows of the period
//! once (through an indexed time range) and folds them here; the maths is in
//! `tend_domain::stats`. Days and weeks are UTC.

use crate::sql::Sql;
use crate::time::{from_micros, micros};
use crate::{Result, Store};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};
use tend_domain::case::Channel;
use tend_domain::effort::{Driver, EffortLevel, EffortTally};
use tend_domain::ids::{AgentId, AgreementId, CaseId, TeamId};
use tend_domain::stats;
use utoipa::ToSchema;

/// Cases listed as the period's highest effort.
pub const HIGHEST: usize = 20;
/// Microseconds in a day.
const DAY: i64 = 86_400_000_000;

/// Which cases a report covers.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// Start of the period (inclusive).
    pub from: Timestamp,
    /// End of the period (exclusive).
    pub to: Timestamp,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<AgentId>,
    pub channel: Option<Channel>,
    pub tag: Option<String>,
    pub agreement_id: Option<AgreementId>,
}

impl ReportFilter {
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

    /// The days of the period, as offsets from its start.
    fn days(&self) -> usize {
        usize::try_from((micros(self.to) - micros(self.from) + DAY - 1) / DAY).unwrap_or(0)
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

/// The middle and the slow end of a duration, in seconds.
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
#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    cases: u64,
    index: u64,
    high: u64,
}

impl Sum {
    fn add(&mut self, index: u32, level: EffortLevel) {
        self.cases += 1;
        self.index += u64::from(index);
        self.high += u64::from(level == EffortLevel::High);
    }

    fn average(&self) -> f64 {
        ratio(self.index, self.cases).unwrap_or(0.0)
    }
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

fn day_of(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
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

fn optional_id(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row
        .try_get::<Option<i64>, _>(col)?
        .map(|v| v.to_string())
        .unwrap_or_default())
}

impl Store {
    /// The effort report: cases created in the period.
    pub async fn effort_report(&self, filter: &ReportFilter) -> Result<EffortReport> {
        let mut sql = Sql::new(
            "SELECT c.id, c.created_at, c.channel, c.team_id, c.assignee_id, c.agreement_id, c.tags, \
             c.effort_index, c.effort_level, c.effort FROM cases c",
        );
        filter.period(&mut sql, "c.created_at");
        filter.narrow(&mut sql);
        let weights = self.effort_weights();
        let mut total = Sum::default();
        let mut levels = [0u64; 3];
        let mut bands = [0u64; 10];
        let mut weeks: BTreeMap<Date, Sum> = BTreeMap::new();
        let mut drivers: HashMap<Driver, (u64, u64)> = HashMap::new();
        let (mut teams, mut agents, mut channels, mut tags, mut agreements) = (
            HashMap::<String, Sum>::new(),
            HashMap::<String, Sum>::new(),
            HashMap::<String, Sum>::new(),
            HashMap::<String, Sum>::new(),
            HashMap::<String, Sum>::new(),
        );
        // (index, id, lines), kept to the highest few.
        let mut highest: Vec<(u32, i64, EffortLevel, Vec<String>)> = Vec::new();
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let index = u32::try_from(row.try_get::<i64, _>("effort_index")?).unwrap_or(0);
            let level = crate::rows::word(&row, "effort_level", EffortLevel::parse)?;
            total.add(index, level);
            levels[match level {
                EffortLevel::Low => 0,
                EffortLevel::Medium => 1,
                EffortLevel::High => 2,
            }] += 1;
            bands[usize::try_from(index / 10).unwrap_or(9).min(9)] += 1;
            let created = from_micros(row.try_get("created_at")?)?;
            weeks
                .entry(stats::week_of(day_of(created)))
                .or_default()
                .add(index, level);
            teams
                .entry(optional_id(&row, "team_id")?)
                .or_default()
                .add(index, level);
            agents
                .entry(optional_id(&row, "assignee_id")?)
                .or_default()
                .add(index, level);
            channels
                .entry(row.try_get::<String, _>("channel")?)
                .or_default()
                .add(index, level);
            agreements
                .entry(optional_id(&row, "agreement_id")?)
                .or_default()
                .add(index, level);
            let raw_tags: String = row.try_get("tags")?;
            let case_tags: Vec<String> = if raw_tags == "[]" {
                Vec::new()
            } else {
                crate::rows::parse_json("tags", &raw_tags)?
            };
            for tag in case_tags {
                tags.entry(tag).or_default().add(index, level);
            }
            if index == 0 {
                continue;
            }
            let tally: EffortTally = crate::rows::json(&row, "effort")?;
            let effort = weights.score(&tally);
            for line in &effort.lines {
                let d = drivers.entry(line.driver).or_default();
                d.0 += u64::from(line.points);
                d.1 += 1;
            }
            let id: i64 = row.try_get("id")?;
            let ranks_in = highest.len() < HIGHEST
                || highest
                    .last()
                    .is_some_and(|(i, last, ..)| (index, -id) > (*i, -*last));
            if ranks_in {
                let lines = effort.lines.into_iter().map(|l| l.text).collect();
                highest.push((index, id, level, lines));
                highest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                highest.truncate(HIGHEST);
            }
        }
        drop(rows);
        let names = self.report_names(&highest).await?;
        let mut drivers: Vec<DriverTotal> = drivers
            .into_iter()
            .map(|(driver, (points, cases))| DriverTotal {
                driver,
                points,
                cases,
            })
            .collect();
        drivers.sort_by(|a, b| {
            b.points
                .cmp(&a.points)
                .then_with(|| a.driver.as_str().cmp(b.driver.as_str()))
        });
        Ok(EffortReport {
            cases: total.cases,
            average_index: ratio(total.index, total.cases),
            levels: [EffortLevel::Low, EffortLevel::Medium, EffortLevel::High]
                .into_iter()
                .zip(levels)
                .map(|(level, cases)| LevelCount { level, cases })
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
            by_team: breakdown(teams, |k| names.name(&names.teams, k)),
            by_agent: breakdown(agents, |k| names.name(&names.agents, k)),
            by_channel: breakdown(channels, |k| k.to_owned()),
            by_tag: breakdown(tags, |k| k.to_owned()),
            by_agreement: breakdown(agreements, |k| names.name(&names.agreements, k)),
            highest: highest
                .into_iter()
                .map(|(index, id, level, lines)| HighEffortCase {
                    case_id: CaseId(id),
                    subject: names.subjects.get(&id).cloned().unwrap_or_default(),
                    index,
                    level,
                    lines,
                })
                .collect(),
        })
    }

    /// Names of teams, agents and agreements, and the subjects of the
    /// highest-effort cases.
    async fn report_names(
        &self,
        highest: &[(u32, i64, EffortLevel, Vec<String>)],
    ) -> Result<Names> {
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
        let mut subjects = HashMap::new();
        if !highest.is_empty() {
            let ids: Vec<i64> = highest.iter().map(|h| h.1).collect();
            let mut sql = Sql::new("SELECT id, subject FROM cases WHERE id IN ");
            sql.id_list(&ids);
            for r in sql.query().fetch_all(&self.reader).await? {
                subjects.insert(r.try_get::<i64, _>("id")?, r.try_get("subject")?);
            }
        }
        Ok(Names {
            teams,
            agents,
            agreements,
            subjects,
        })
    }

    /// The service report: response and resolution times, rates and the
    /// backlog.
    pub async fn service_report(&self, filter: &ReportFilter) -> Result<ServiceReport> {
        let days = filter.days();
        let from = micros(filter.from);
        // Backlog as a difference array over day ends: a case is open at
        // the end of day i for i in [created day, resolved day).
        let mut open = vec![0i64; days + 1];
        let mut count_open = |created: i64, resolved: Option<i64>| {
            let day = |t: i64| usize::try_from((t - from).div_euclid(DAY).max(0)).unwrap_or(0);
            let (a, b) = (day(created).min(days), resolved.map_or(days, day).min(days));
            if a < b {
                open[a] += 1;
                open[b] -= 1;
            }
        };

        // Cases created in the period.
        let mut sql = Sql::new(
            "SELECT c.created_at, c.first_response_at, c.resolved_at, c.repeat_of_id, c.effort FROM cases c",
        );
        filter.period(&mut sql, "c.created_at");
        filter.narrow(&mut sql);
        let (mut cases, mut repeats, mut reopened) = (0u64, 0u64, 0u64);
        let mut first_responses = Vec::new();
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let created: i64 = row.try_get("created_at")?;
            let resolved: Option<i64> = row.try_get("resolved_at")?;
            cases += 1;
            if let Some(first) = row.try_get::<Option<i64>, _>("first_response_at")? {
                first_responses.push((first - created).max(0) / 1_000_000);
            }
            repeats += u64::from(row.try_get::<Option<i64>, _>("repeat_of_id")?.is_some());
            let tally: EffortTally = crate::rows::json(&row, "effort")?;
            reopened += u64::from(tally.reopened > 0);
            count_open(created, resolved);
        }
        drop(rows);

        // Cases created before the period and still open at its start:
        // resolved since, or not at all (two index ranges, not a scan of
        // every older case).
        for still_open in ["c.resolved_at >= ", "c.resolved_at IS NULL"] {
            let mut sql = Sql::new("SELECT c.created_at, c.resolved_at FROM cases c");
            sql.and().push(still_open);
            if still_open.ends_with(' ') {
                sql.arg(from);
            }
            sql.push(" AND c.created_at < ").arg(from);
            filter.narrow(&mut sql);
            let mut rows = sql.query().fetch(&self.reader);
            while let Some(row) = rows.try_next().await? {
                count_open(row.try_get("created_at")?, row.try_get("resolved_at")?);
            }
        }

        // Cases resolved in the period.
        let mut sql = Sql::new("SELECT c.created_at, c.resolved_at, c.effort FROM cases c");
        filter.period(&mut sql, "c.resolved_at");
        filter.narrow(&mut sql);
        let mut resolutions = Vec::new();
        let mut first_contact = 0u64;
        let mut rows = sql.query().fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let created: i64 = row.try_get("created_at")?;
            let resolved: i64 = row.try_get("resolved_at")?;
            resolutions.push((resolved - created).max(0) / 1_000_000);
            let tally: EffortTally = crate::rows::json(&row, "effort")?;
            first_contact += u64::from(tally.first_contact_resolution());
        }
        drop(rows);

        let start = day_of(filter.from);
        let mut backlog = Vec::with_capacity(days);
        let mut running = 0i64;
        for (i, delta) in open.iter().take(days).enumerate() {
            running += delta;
            let day = start
                .checked_add(jiff::Span::new().days(i64::try_from(i).unwrap_or(0)))
                .unwrap_or(start);
            backlog.push(DayBacklog {
                day: day.to_string(),
                open: u64::try_from(running).unwrap_or(0),
            });
        }
        let resolved = resolutions.len() as u64;
        Ok(ServiceReport {
            cases,
            first_response: percentiles(first_responses),
            resolution: percentiles(resolutions),
            first_contact_resolution: rate(first_contact, resolved),
            repeat_contact: rate(repeats, cases),
            reopened: rate(reopened, cases),
            backlog,
        })
    }

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

/// Names by id, for breakdown rows.
struct Names {
    teams: HashMap<String, String>,
    agents: HashMap<String, String>,
    agreements: HashMap<String, String>,
    subjects: HashMap<i64, String>,
}

impl Names {
    fn name(&self, names: &HashMap<String, String>, key: &str) -> String {
        names.get(key).cloned().unwrap_or_else(|| format!("#{key}"))
    }
}

fn percentiles(mut seconds: Vec<i64>) -> Percentiles {
    seconds.sort_unstable();
    Percentiles {
        cases: seconds.len() as u64,
        p50_seconds: stats::percentile(&seconds, 50),
        p90_seconds: stats::percentile(&seconds, 90),
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
