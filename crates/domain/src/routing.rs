//! Routing: who among a team's agents a case goes to when it lands on the
//! team with nobody assigned. A team routes by hand (`manual`, the
//! default), in turn (`round_robin`: the available agent routed to longest
//! ago) or to the least loaded (`least_loaded`: the fewest open cases, ties
//! to the agent routed to longest ago). Agents who are away, deactivated,
//! read only or at their maximum of open cases are skipped; when the team
//! matches skills, the agent must also cover the case's skill tags and its
//! customer's language. Every decision comes with its reason in words, so
//! the case log can say why a case went where it went.
//!
//! Pure: the store gathers the candidates (under a lock on the team row)
//! and records the decision.

use crate::Invalid;
use crate::ids::AgentId;
use std::collections::{BTreeSet, HashSet};

crate::string_enum!(
    /// How a team hands out cases that land on it unassigned.
    RoutingMode {
        /// Nobody is picked: agents take cases from the team's queue.
        Manual = "manual",
        /// In turn: the available agent routed to longest ago.
        RoundRobin = "round_robin",
        /// The available agent with the fewest open cases.
        LeastLoaded = "least_loaded",
    }
);

/// Most open cases a maximum may be set to.
pub const MAX_OPEN_CASES_LIMIT: u32 = 10_000;

/// Most skills (or languages) one agent lists.
pub const MAX_SKILLS: usize = 50;

/// A team's routing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRouting {
    pub mode: RoutingMode,
    /// The most open cases routing gives one agent of the team, unless the
    /// agent has their own maximum; `None`: no limit.
    pub max_open_cases: Option<u32>,
    /// Whether an agent must cover the case's skills: each of its tags that
    /// some member lists as a skill, and its customer's language when some
    /// member lists it.
    pub match_skills: bool,
}

/// One member of the team, as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent_id: AgentId,
    /// Active, not a light agent: may be given cases at all.
    pub may_work: bool,
    /// The agent's own availability switch.
    pub available: bool,
    /// Cases assigned to them that are neither resolved nor closed.
    pub open_cases: u32,
    /// Their own maximum of open cases, over the team's.
    pub max_open_cases: Option<u32>,
    /// The team's routing turn when they were last routed a case (0:
    /// never): the lower, the longer ago.
    pub last_turn: i64,
    /// Tags they are skilled in.
    pub skills: Vec<String>,
    /// Languages they answer in (`en`, `de`...).
    pub languages: Vec<String>,
}

/// What a case asks of the agent it goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Need {
    /// The case's tags.
    pub tags: BTreeSet<String>,
    /// Its customer's language, if known.
    pub language: Option<String>,
    /// An agent not to route to (the one who just gave the case up), as
    /// long as someone else can take it.
    pub not: Option<AgentId>,
}

/// A routing decision: the agent picked, or none, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub to: Option<AgentId>,
    pub reason: String,
}

/// Why an agent's unanswered cases go back to their team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandBack {
    /// The agent turned their availability off.
    WentAway,
    /// An admin deactivated the agent.
    Deactivated,
}

impl HandBack {
    /// The reason recorded on each case handed back: "agent went away:
    /// returned to team" (or "left unassigned" for a case of no team).
    pub fn reason(self, has_team: bool) -> String {
        let why = match self {
            HandBack::WentAway => "agent went away",
            HandBack::Deactivated => "agent deactivated",
        };
        let then = if has_team {
            "returned to team"
        } else {
            "left unassigned"
        };
        format!("{why}: {then}")
    }
}

impl TeamRouting {
    /// Picks the agent for a case needing `need` among `candidates`, or
    /// `None` for a manual team (no decision is made). Linear in the
    /// candidates (and their skills).
    pub fn decide(&self, candidates: &[Candidate], need: &Need) -> Option<Decision> {
        if self.mode == RoutingMode::Manual {
            return None;
        }
        let required = if self.match_skills {
            required_skills(candidates, need)
        } else {
            Vec::new()
        };
        let (mut away, mut full, mut unskilled) = (0, 0, 0);
        let mut eligible: Vec<&Candidate> = Vec::new();
        for c in candidates.iter().filter(|c| c.may_work) {
            if !c.available {
                away += 1;
            } else if c
                .max_open_cases
                .or(self.max_open_cases)
                .is_some_and(|max| c.open_cases >= max)
            {
                full += 1;
            } else if !covers(c, &required) {
                unskilled += 1;
            } else {
                eligible.push(c);
            }
        }
        if eligible.len() > 1
            && let Some(not) = need.not
        {
            eligible.retain(|c| c.agent_id != not);
        }
        let skipped = skipped(away, full, unskilled);
        let with = if required.is_empty() {
            String::new()
        } else {
            format!(" with {}", required.join(", "))
        };
        let chosen = match self.mode {
            RoutingMode::RoundRobin => eligible.iter().min_by_key(|c| (c.last_turn, c.agent_id.0)),
            _ => eligible
                .iter()
                .min_by_key(|c| (c.open_cases, c.last_turn, c.agent_id.0)),
        };
        let Some(chosen) = chosen else {
            let why = if candidates.iter().any(|c| c.may_work) {
                format!("no agent available{with}{skipped}: left unassigned")
            } else {
                "no agent in the team: left unassigned".to_owned()
            };
            return Some(Decision {
                to: None,
                reason: why,
            });
        };
        let agents = plural(eligible.len(), "available agent", "available agents");
        let reason = match self.mode {
            RoutingMode::RoundRobin => format!("round robin among {agents}{with}{skipped}"),
            _ => format!(
                "least loaded ({} open) among {agents}{with}{skipped}",
                chosen.open_cases
            ),
        };
        Some(Decision {
            to: Some(chosen.agent_id),
            reason,
        })
    }
}

/// The case's skills some member lists: its tags, then its customer's
/// language. A tag or language no member lists tells no one apart.
fn required_skills(candidates: &[Candidate], need: &Need) -> Vec<String> {
    let skills: HashSet<&str> = candidates
        .iter()
        .flat_map(|c| c.skills.iter().map(String::as_str))
        .collect();
    let languages: HashSet<&str> = candidates
        .iter()
        .flat_map(|c| c.languages.iter().map(String::as_str))
        .collect();
    let mut required: Vec<String> = need
        .tags
        .iter()
        .filter(|t| skills.contains(t.as_str()))
        .cloned()
        .collect();
    if let Some(language) = need.language.as_deref().filter(|l| languages.contains(l)) {
        required.push(language.to_owned());
    }
    required
}

/// Whether the candidate has every required skill or language.
fn covers(c: &Candidate, required: &[String]) -> bool {
    required
        .iter()
        .all(|r| c.skills.contains(r) || c.languages.contains(r))
}

/// " (1 away, 2 at their maximum)", or nothing when nobody was skipped.
fn skipped(away: usize, full: usize, unskilled: usize) -> String {
    let mut parts = Vec::new();
    if away > 0 {
        parts.push(format!("{away} away"));
    }
    if full > 0 {
        parts.push(format!("{full} at their maximum"));
    }
    if unskilled > 0 {
        parts.push(format!("{unskilled} without the skills"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Checks a maximum of open cases: 1 to [`MAX_OPEN_CASES_LIMIT`].
pub fn check_max_open_cases(field: &str, max: Option<u32>) -> Result<Option<u32>, Invalid> {
    match max {
        Some(n) if n == 0 || n > MAX_OPEN_CASES_LIMIT => Err(Invalid::new(
            field,
            format!("a maximum of open cases is 1 to {MAX_OPEN_CASES_LIMIT}, or null for no limit"),
        )),
        other => Ok(other),
    }
}

/// Parses an agent's skills: tags (see [`crate::case::parse_tag`]), at
/// most [`MAX_SKILLS`], without duplicates.
pub fn parse_skills(field: &str, raw: &[String]) -> Result<Vec<String>, Invalid> {
    let skills = crate::case::parse_tags(field, raw)?;
    if skills.len() > MAX_SKILLS {
        return Err(Invalid::new(
            field,
            format!("list at most {MAX_SKILLS} skills"),
        ));
    }
    Ok(skills)
}

/// Parses one language code: two or three letters (`en`, `de`, `fil`),
/// lower-cased.
pub fn parse_language(field: &str, raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_ascii_lowercase();
    if (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase()) {
        Ok(code)
    } else {
        Err(Invalid::new(
            field,
            format!(
                "`{}` is not a language code: use two or three letters such as en or de",
                raw.escape_debug()
            ),
        ))
    }
}

/// Parses a list of language codes, without duplicates, at most
/// [`MAX_SKILLS`].
pub fn parse_languages(field: &str, raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut languages: Vec<String> = Vec::new();
    for l in raw {
        let code = parse_language(field, l)?;
        if !languages.contains(&code) {
            if languages.len() == MAX_SKILLS {
                return Err(Invalid::new(
                    field,
                    format!("list at most {MAX_SKILLS} languages"),
                ));
            }
            languages.push(code);
        }
    }
    Ok(languages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64) -> Candidate {
        Candidate {
            agent_id: AgentId(id),
            may_work: true,
            available: true,
            open_cases: 0,
            max_open_cases: None,
            last_turn: 0,
            skills: Vec::new(),
            languages: Vec::new(),
        }
    }

    fn team(mode: RoutingMode) -> TeamRouting {
        TeamRouting {
            mode,
            max_open_cases: None,
            match_skills: false,
        }
    }

    /// Routes `n` cases, updating turns and loads as the store does.
    fn route_many(team: &TeamRouting, agents: &mut [Candidate], n: usize) -> Vec<Option<i64>> {
        let mut picks = Vec::new();
        for turn in 1..=n as i64 {
            let decision = team.decide(agents, &Need::default()).unwrap();
            if let Some(to) = decision.to {
                let c = agents.iter_mut().find(|c| c.agent_id == to).unwrap();
                c.last_turn = turn;
                c.open_cases += 1;
            }
            picks.push(decision.to.map(|a| a.0));
        }
        picks
    }

    #[test]
    fn manual_teams_decide_nothing() {
        assert_eq!(
            team(RoutingMode::Manual).decide(&[agent(1)], &Need::default()),
            None
        );
    }

    #[test]
    fn round_robin_is_fair_and_skips_the_away_and_the_full() {
        let t = TeamRouting {
            max_open_cases: Some(40),
            ..team(RoutingMode::RoundRobin)
        };
        let mut agents: Vec<Candidate> = (1..=5).map(agent).collect();
        agents[3].available = false;
        agents[4].open_cases = 40;
        let picks = route_many(&t, &mut agents, 100);
        for id in 1..=3 {
            let n = picks.iter().filter(|p| **p == Some(id)).count();
            assert!((33..=34).contains(&n), "agent {id} got {n}");
        }
        assert_eq!(picks[..3], [Some(1), Some(2), Some(3)]);
        let reason = t.decide(&agents, &Need::default()).unwrap().reason;
        assert_eq!(
            reason,
            "round robin among 3 available agents (1 away, 1 at their maximum)"
        );
    }

    #[test]
    fn least_loaded_picks_the_fewest_open_cases_ties_in_turn() {
        let t = team(RoutingMode::LeastLoaded);
        let mut agents: Vec<Candidate> = (1..=3).map(agent).collect();
        agents[0].open_cases = 3;
        agents[1].open_cases = 1;
        let picks = route_many(&t, &mut agents, 5);
        assert_eq!(picks, [Some(3), Some(2), Some(3), Some(2), Some(3)]);
        let d = t.decide(&agents, &Need::default()).unwrap();
        assert_eq!(d.reason, "least loaded (3 open) among 3 available agents");
    }

    #[test]
    fn nobody_available_leaves_the_case_unassigned_and_says_why() {
        let mut agents = vec![agent(1), agent(2)];
        agents[0].available = false;
        agents[1].max_open_cases = Some(2);
        agents[1].open_cases = 2;
        let d = team(RoutingMode::RoundRobin)
            .decide(&agents, &Need::default())
            .unwrap();
        assert_eq!(d.to, None);
        assert_eq!(
            d.reason,
            "no agent available (1 away, 1 at their maximum): left unassigned"
        );
        let none = team(RoutingMode::RoundRobin)
            .decide(&[], &Need::default())
            .unwrap();
        assert_eq!(none.reason, "no agent in the team: left unassigned");
    }

    #[test]
    fn skills_and_language_must_be_covered_when_the_team_matches_them() {
        let t = TeamRouting {
            match_skills: true,
            ..team(RoutingMode::RoundRobin)
        };
        let mut a = agent(1);
        a.skills = vec!["billing".into()];
        a.languages = vec!["de".into()];
        let mut b = agent(2);
        b.languages = vec!["en".into()];
        let agents = [a, b];
        let need = |tags: &[&str], language: &str| Need {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            language: Some(language.to_owned()),
            not: None,
        };
        let d = t.decide(&agents, &need(&["billing", "vip"], "de")).unwrap();
        assert_eq!(d.to, Some(AgentId(1)));
        assert_eq!(
            d.reason,
            "round robin among 1 available agent with billing, de (1 without the skills)"
        );
        let d = t.decide(&agents, &need(&["billing"], "en")).unwrap();
        assert_eq!(d.to, None);
        assert_eq!(
            d.reason,
            "no agent available with billing, en (2 without the skills): left unassigned"
        );
        assert_eq!(
            t.decide(&agents, &need(&[], "en")).unwrap().to,
            Some(AgentId(2))
        );
        // A language nobody lists tells no one apart.
        let d = t.decide(&agents, &need(&[], "fr")).unwrap();
        assert_eq!(d.reason, "round robin among 2 available agents");
        // Without matching, skills are ignored.
        assert_eq!(
            team(RoutingMode::RoundRobin)
                .decide(&agents, &need(&["billing"], "en"))
                .unwrap()
                .to,
            Some(AgentId(1))
        );
    }

    #[test]
    fn the_agent_who_gave_a_case_up_gets_it_only_when_nobody_else_can() {
        let t = team(RoutingMode::RoundRobin);
        let need = Need {
            not: Some(AgentId(1)),
            ..Need::default()
        };
        let d = t.decide(&[agent(1), agent(2)], &need).unwrap();
        assert_eq!(d.to, Some(AgentId(2)));
        assert_eq!(t.decide(&[agent(1)], &need).unwrap().to, Some(AgentId(1)));
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(
            check_max_open_cases("max_open_cases", Some(0))
                .unwrap_err()
                .field,
            "max_open_cases"
        );
        assert!(check_max_open_cases("max_open_cases", None).is_ok());
        assert_eq!(
            parse_skills("skills", &["Billing".into(), "billing".into()]).unwrap(),
            ["billing"]
        );
        assert_eq!(
            parse_skills("skills", &["no spaces".into()])
                .unwrap_err()
                .field,
            "skills"
        );
        assert_eq!(
            parse_languages("languages", &["EN".into(), "de".into(), "en".into()]).unwrap(),
            ["en", "de"]
        );
        assert_eq!(
            parse_languages("languages", &["english".into()])
                .unwrap_err()
                .field,
            "languages"
        );
        assert_eq!(
            RoutingMode::parse("routing_mode", "random")
                .unwrap_err()
                .field,
            "routing_mode"
        );
    }
}
