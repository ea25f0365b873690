-- Conversion-volume counts per bucket, as read from the sources. Kept raw for a
-- bounded window (the detector rebuilds its baseline from it on start) and rolled
-- up per hour for the long run.
CREATE TABLE metric_buckets (
    monitor_id TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    start      INTEGER NOT NULL,            -- Unix seconds, bucket start
    count      REAL    NOT NULL,
    PRIMARY KEY (monitor_id, start, event)
) WITHOUT ROWID;

CREATE TABLE metric_hourly (
    monitor_id TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    hour       INTEGER NOT NULL,            -- Unix seconds, hour start
    count      REAL    NOT NULL,
    PRIMARY KEY (monitor_id, hour, event)
) WITHOUT ROWID;

-- How far each volume monitor has read: every bucket before complete_until is final.
CREATE TABLE volume_cursor (
    monitor_id     TEXT PRIMARY KEY,
    step_secs      INTEGER NOT NULL,
    complete_until INTEGER NOT NULL
);

-- Volume incidents: each affected event type's episode, and the upstream incident
-- that most likely caused the drop.
ALTER TABLE incidents ADD COLUMN drops TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN cause_incident_id INTEGER REFERENCES incidents (id);
