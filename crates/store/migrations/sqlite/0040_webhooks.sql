-- Webhooks (issue 18). Keep in step with the other backend's 0040_webhooks.sql.
--
-- A subscription: `definition` is the JSON of
-- tend_domain::webhook::WebhookDefinition's events and description; the URL
-- and whether it is on are columns. `secret` signs deliveries (sealed like
-- every secret, see tend_store::secrets). `failures` counts deliveries
-- failed in a row; `disabled_reason` says why Tend switched it off.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    definition TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    secret TEXT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One case event for one webhook: its JSON body as sent (the same bytes on
-- every attempt, so a receiver can deduplicate by delivery id), and the
-- outcome of the latest attempt. status is queued, delivered or failed.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    event_id BIGINT NOT NULL,
    case_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    response_code BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
