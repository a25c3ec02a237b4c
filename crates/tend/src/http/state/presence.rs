//! Who is looking at which case, for the collision warning. Presence lives
//! in memory: it is seconds-old, cheap to lose on a restart, and not worth
//! a database write per heartbeat. With several nodes each keeps its own
//! copy, and every change is also sent to the others as a [`Signal`]
//! (see [`super::signals`]), which they [`Presence::apply`].

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tend_domain::ids::{AgentId, CaseId};

/// How long a page view counts as "viewing" without a live connection.
pub const VIEW_TTL: Duration = Duration::from_secs(20);
/// How long one typing signal counts as "typing".
pub const TYPING_TTL: Duration = Duration::from_secs(8);

/// One session on a case.
#[derive(Debug, Clone)]
struct Viewer {
    agent_id: AgentId,
    name: String,
    seen_until: Instant,
    typing_until: Option<Instant>,
}

/// Another agent on the same case, as the warning shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Other {
    pub name: String,
    pub typing: bool,
}

/// A change of presence, as nodes send it to each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub case: CaseId,
    /// The session, by the hash it is stored under.
    pub session: String,
    pub agent: AgentId,
    pub name: String,
    pub doing: Doing,
}

/// What a session is doing on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Doing {
    /// Viewing for at least this many more milliseconds.
    Viewing { for_ms: u64 },
    /// Typing a reply.
    Typing,
    /// The page was closed.
    Left,
}

/// Viewers per case, keyed by session.
#[derive(Debug, Default)]
pub struct Presence {
    cases: Mutex<HashMap<CaseId, HashMap<String, Viewer>>>,
}

impl Presence {
    fn with_cases<R>(
        &self,
        f: impl FnOnce(&mut HashMap<CaseId, HashMap<String, Viewer>>) -> R,
    ) -> R {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every change is a single insert or remove), so keep going.
        let mut cases = self.cases.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut cases)
    }

    /// Records a change of presence, this node's or another's.
    pub fn apply(&self, signal: &Signal) {
        let Signal {
            case,
            session,
            agent,
            name,
            doing,
        } = signal;
        match *doing {
            Doing::Viewing { for_ms } => {
                // Another node's word is bounded by what a page may claim.
                let ttl = Duration::from_millis(for_ms).min(VIEW_TTL);
                self.touch(*case, session, *agent, name, ttl);
            }
            Doing::Typing => self.typing(*case, session, *agent, name),
            Doing::Left => self.leave(*case, session),
        }
    }

    /// Records that `session` is viewing `case` for at least `ttl` more.
    pub fn touch(&self, case: CaseId, session: &str, agent: AgentId, name: &str, ttl: Duration) {
        let until = Instant::now() + ttl;
        self.with_cases(|cases| {
            let viewers = cases.entry(case).or_default();
            let viewer = viewers.entry(session.to_owned()).or_insert_with(|| Viewer {
                agent_id: agent,
                name: name.to_owned(),
                seen_until: until,
                typing_until: None,
            });
            viewer.seen_until = viewer.seen_until.max(until);
        });
    }

    /// Records that `session` is typing a reply on `case`.
    pub fn typing(&self, case: CaseId, session: &str, agent: AgentId, name: &str) {
        self.touch(case, session, agent, name, TYPING_TTL);
        let until = Instant::now() + TYPING_TTL;
        self.with_cases(|cases| {
            if let Some(v) = cases.get_mut(&case).and_then(|v| v.get_mut(session)) {
                v.typing_until = Some(until);
            }
        });
    }

    /// Forgets `session` on `case` (the page was closed).
    pub fn leave(&self, case: CaseId, session: &str) {
        self.with_cases(|cases| {
            if let Some(viewers) = cases.get_mut(&case) {
                viewers.remove(session);
                if viewers.is_empty() {
                    cases.remove(&case);
                }
            }
        });
    }

    /// The other agents on `case` (not `me`, in whichever session), typists
    /// first, each named once. Expired entries are dropped on the way.
    pub fn others(&self, case: CaseId, me: AgentId) -> Vec<Other> {
        let now = Instant::now();
        let mut others: Vec<Other> = self.with_cases(|cases| {
            let Some(viewers) = cases.get_mut(&case) else {
                return Vec::new();
            };
            viewers.retain(|_, v| v.seen_until > now);
            let mut by_agent: HashMap<AgentId, Other> = HashMap::new();
            for v in viewers.values().filter(|v| v.agent_id != me) {
                let typing = v.typing_until.is_some_and(|t| t > now);
                let entry = by_agent.entry(v.agent_id).or_insert_with(|| Other {
                    name: v.name.clone(),
                    typing,
                });
                entry.typing |= typing;
            }
            if viewers.is_empty() {
                cases.remove(&case);
            }
            by_agent.into_values().collect()
        });
        others.sort_by(|a, b| b.typing.cmp(&a.typing).then_with(|| a.name.cmp(&b.name)));
        others
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: CaseId = CaseId(1);

    #[test]
    fn others_exclude_me_and_merge_my_sessions() {
        let p = Presence::default();
        p.touch(CASE, "s1", AgentId(1), "Ann", VIEW_TTL);
        p.touch(CASE, "s2", AgentId(2), "Bob", VIEW_TTL);
        p.touch(CASE, "s3", AgentId(2), "Bob", VIEW_TTL);
        p.typing(CASE, "s3", AgentId(2), "Bob");
        assert_eq!(
            p.others(CASE, AgentId(1)),
            vec![Other {
                name: "Bob".into(),
                typing: true
            }]
        );
        assert_eq!(
            p.others(CASE, AgentId(2)),
            vec![Other {
                name: "Ann".into(),
                typing: false
            }]
        );
        assert!(p.others(CaseId(2), AgentId(1)).is_empty());
    }

    #[test]
    fn leaving_and_expiry_remove_viewers() {
        let p = Presence::default();
        p.touch(CASE, "s1", AgentId(1), "Ann", VIEW_TTL);
        p.touch(CASE, "s2", AgentId(2), "Bob", Duration::ZERO);
        assert!(p.others(CASE, AgentId(1)).is_empty(), "expired");
        p.leave(CASE, "s1");
        assert!(p.others(CASE, AgentId(2)).is_empty());
        assert!(p.with_cases(|c| c.is_empty()), "nothing left behind");
    }
}
