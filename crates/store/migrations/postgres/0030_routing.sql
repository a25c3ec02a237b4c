-- Routing (issue 15, crates/domain/src/routing.rs): how a team hands out
-- cases that land on it unassigned, and what routing knows of each agent.
-- Keep in step with sqlite/0030_routing.sql.
--
-- A team's mode (manual, round_robin, least_loaded), its maximum of open
-- cases per agent (NULL: no limit) and whether agents must cover a case's
-- skills. `routing_turn` counts the team's routing decisions that picked
-- an agent; each member's `routed_turn` is the turn they were last picked
-- (0: never), so round robin picks the member with the lowest. Routing
-- locks the team row while it reads and bumps them.
ALTER TABLE teams ADD COLUMN routing_mode TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE teams ADD COLUMN max_open_cases BIGINT;
ALTER TABLE teams ADD COLUMN match_skills BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN routing_turn BIGINT NOT NULL DEFAULT 0;
ALTER TABLE team_members ADD COLUMN routed_turn BIGINT NOT NULL DEFAULT 0;
-- Each agent's availability switch (on by default: routing gives cases to
-- agents as before), own maximum of open cases (NULL: the team's), and the
-- skills (tags) and languages they cover, as JSON lists.
ALTER TABLE agents ADD COLUMN available BIGINT NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN max_open_cases BIGINT;
ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
ALTER TABLE agents ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
-- The language a customer writes in (en, de...), matched against agents'.
ALTER TABLE customers ADD COLUMN language TEXT;
-- Routing counts each member's open cases; this index holds the count.
CREATE INDEX cases_open_by_assignee ON cases (assignee_id, status) WHERE assignee_id IS NOT NULL;
