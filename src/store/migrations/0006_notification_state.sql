-- Desktop notifications snoozed until a time. One row at most, shared by every
-- process on the file, so a snooze set in the tray holds for `flatline run` too.
CREATE TABLE snooze (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    since TEXT NOT NULL,
    until TEXT NOT NULL
);

-- When the desktop was last told of an open incident (opened, worse, or a reminder
-- that a major outage is still unacknowledged), so that reminders keep their pace
-- across restarts and between processes.
ALTER TABLE incidents ADD COLUMN told_at TEXT;
