-- Each agent's own display settings (crates/domain/src/preferences.rs):
-- time zone and locale for exact times (NULL: the browser's), and whether
-- a case reads newest message first.
ALTER TABLE agents ADD COLUMN time_zone TEXT;
ALTER TABLE agents ADD COLUMN locale TEXT;
ALTER TABLE agents ADD COLUMN newest_first BIGINT NOT NULL DEFAULT 0;
-- Keep in step with sqlite/0028_agent_preferences.sql.
