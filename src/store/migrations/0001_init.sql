-- Every check of every monitor, lean: the detail of the latest one lives in monitor_state.
CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    monitor_id  TEXT    NOT NULL,
    checked_at  TEXT    NOT NULL,           -- RFC 3339, UTC
    health      TEXT    NOT NULL,
    latency_ms  INTEGER NOT NULL,
    error_kind  TEXT,
    error       TEXT
);
CREATE INDEX checks_by_monitor ON checks (monitor_id, checked_at);

-- The latest reading of each monitor, so `flatline status` needs no polling.
CREATE TABLE monitor_state (
    monitor_id  TEXT PRIMARY KEY,
    checked_at  TEXT    NOT NULL,
    health      TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    latency_ms  INTEGER NOT NULL,
    error_json  TEXT,                       -- CheckError as JSON when health = unknown
    reading_json TEXT                       -- Reading as JSON otherwise
);

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    monitor_id   TEXT NOT NULL,
    monitor_name TEXT NOT NULL,
    kind         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    detected_at  TEXT NOT NULL,
    ended_at     TEXT,
    components   TEXT NOT NULL DEFAULT '[]', -- JSON array of names
    url          TEXT
);
CREATE INDEX incidents_open ON incidents (monitor_id) WHERE ended_at IS NULL;
CREATE INDEX incidents_by_start ON incidents (started_at);

CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    vendor_id   TEXT    NOT NULL,           -- the vendor's update id: de-duplicates polls
    at          TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    UNIQUE (incident_id, vendor_id)
);

CREATE TABLE acknowledgements (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    by          TEXT NOT NULL,
    at          TEXT NOT NULL,
    note        TEXT
);
