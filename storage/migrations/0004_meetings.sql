-- Meetings of self-help groups (issue 4): series, occurrences, RSVPs with a waitlist,
-- attendance, per-group reminder settings and date polls. Times are UTC (bot.clock.to_db);
-- a series keeps its local time of day so occurrences stay at 19:00 across DST.
-- Numbered 0002 in the feature branch; 0004 on main.

CREATE TABLE meeting_series (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    rule         TEXT NOT NULL,                -- 'weekly' | 'biweekly' | 'monthly:N' (N 1..4 or -1 = last)
    local_time   TEXT NOT NULL,                -- 'HH:MM' in the configured zone
    first_day    TEXT NOT NULL,                -- local date of the first occurrence, 'YYYY-MM-DD'
    title        TEXT NOT NULL,
    place        TEXT NOT NULL,
    agenda       TEXT,
    capacity     INTEGER,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    ended_at     TEXT                          -- no new occurrences after this
);

CREATE TABLE meetings (
    id             INTEGER PRIMARY KEY,
    group_id       INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    series_id      INTEGER REFERENCES meeting_series(id) ON DELETE SET NULL,
    occurrence_day TEXT,                       -- the series' local date this row stands for
    title          TEXT NOT NULL,
    place          TEXT NOT NULL,
    agenda         TEXT,
    capacity       INTEGER,
    starts_at      TEXT NOT NULL,
    duration_min   INTEGER NOT NULL DEFAULT 120,
    status         TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'cancelled')),
    sequence       INTEGER NOT NULL DEFAULT 0,  -- iCalendar SEQUENCE: bumped on every change
    notes          TEXT,
    attendance_at  TEXT,                       -- when the organiser started recording who came
    created_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL,
    cancelled_at   TEXT,
    UNIQUE (series_id, occurrence_day)
);
CREATE INDEX meetings_upcoming ON meetings(status, starts_at);
CREATE INDEX meetings_group ON meetings(group_id, starts_at);

CREATE TABLE meeting_rsvps (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    answer        TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no', 'waiting', 'offered')),
    answered_at   TEXT NOT NULL,
    waiting_since TEXT,                        -- order of the waitlist
    offer_until   TEXT,                        -- a freed place is held for them until then
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_rsvps_offers ON meeting_rsvps(answer, offer_until);

CREATE TABLE meeting_attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE meeting_group_settings (
    group_id         INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    remind_day       INTEGER NOT NULL DEFAULT 1,   -- the day before, same local time
    remind_hours     INTEGER NOT NULL DEFAULT 2    -- N hours before; 0 = off
);

CREATE TABLE date_polls (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    place       TEXT NOT NULL,
    agenda      TEXT,
    capacity    INTEGER,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    meeting_id  INTEGER REFERENCES meetings(id) ON DELETE SET NULL,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE date_poll_options (
    id        INTEGER PRIMARY KEY,
    poll_id   INTEGER NOT NULL REFERENCES date_polls(id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL
);

CREATE TABLE date_poll_votes (
    option_id INTEGER NOT NULL REFERENCES date_poll_options(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (option_id, user_id)
);

PRAGMA user_version = 4;
