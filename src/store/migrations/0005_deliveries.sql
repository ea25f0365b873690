-- Posts to team channels. Each is written beside the incident change it reports and
-- sent afterwards, so a channel that is down, or a process stopped in between, loses
-- nothing: what is due is sent again until it lands or is given up.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    channel_id TEXT NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    change TEXT NOT NULL,
    -- The request body, made when the change happened.
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When to try next; NULL once delivered or given up. A sender sets it a little
    -- ahead while it sends, so a second process on the same file does not send too.
    next_attempt_at TEXT,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_by_channel ON deliveries (channel_id, id);
