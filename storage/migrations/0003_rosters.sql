-- Volunteer rosters (issue 9, story 10): tasks with a recurrence, their slots, who signed up,
-- take-overs when someone steps back, and attendance for the hours export.
-- NOTE: the issue's number is 0005; named 0002 in this worktree until the integrator renumbers.

CREATE TABLE roster_tasks (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    rule        TEXT NOT NULL CHECK (rule IN ('weekly', 'biweekly', 'monthly', 'dates')),
    weekday     INTEGER,                       -- 0 = Monday (weekly, biweekly, monthly)
    nth         INTEGER,                       -- monthly: 1..4, or -1 for the last one
    dates       TEXT,                          -- chosen dates: JSON list of local ISO dates
    start_date  TEXT NOT NULL,                 -- local ISO date; the anchor of 'every two weeks'
    start_min   INTEGER NOT NULL,              -- local minutes after midnight
    end_min     INTEGER NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    needed      INTEGER NOT NULL CHECK (needed BETWEEN 1 AND 50),
    note        TEXT,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    stopped_at  TEXT
);
CREATE INDEX roster_tasks_group ON roster_tasks(group_id);

-- Members who said they want to help in a group.
CREATE TABLE roster_volunteers (
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- One occurrence of a task (materialised a few weeks ahead).
CREATE TABLE roster_slots (
    id              INTEGER PRIMARY KEY,
    task_id         INTEGER NOT NULL REFERENCES roster_tasks(id) ON DELETE CASCADE,
    day             TEXT NOT NULL,             -- local ISO date of the occurrence
    starts_at       TEXT NOT NULL,             -- UTC
    ends_at         TEXT NOT NULL,             -- UTC
    cancelled_at    TEXT,
    attendance_at   TEXT,                      -- when the organiser confirmed who came
    attendance_asked_at TEXT,                  -- when the organiser was asked who came
    UNIQUE (task_id, day)
);
CREATE INDEX roster_slots_start ON roster_slots(starts_at);

-- A volunteer in a slot. One row per (slot, person); stepping back keeps the row (and reason).
CREATE TABLE roster_shifts (
    id              INTEGER PRIMARY KEY,
    slot_id         INTEGER NOT NULL REFERENCES roster_slots(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('signed', 'stepped_back')),
    signed_at       TEXT NOT NULL,
    stepped_back_at TEXT,
    reason          TEXT,
    attended        INTEGER,                   -- NULL: not confirmed; 1 came; 0 did not
    UNIQUE (slot_id, user_id)
);
CREATE INDEX roster_shifts_user ON roster_shifts(user_id, state);

-- "Who can take over?" after someone stepped back; the first tap takes it.
CREATE TABLE roster_takeovers (
    id           INTEGER PRIMARY KEY,
    slot_id      INTEGER NOT NULL REFERENCES roster_slots(id) ON DELETE CASCADE,
    from_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    taken_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    taken_at     TEXT,
    expired_at   TEXT                          -- the organiser was told nobody took it
);
CREATE INDEX roster_takeovers_open ON roster_takeovers(expires_at) WHERE taken_by IS NULL AND expired_at IS NULL;

-- Who was asked, and the message id (to edit it to "already taken").
CREATE TABLE roster_takeover_asks (
    takeover_id INTEGER NOT NULL REFERENCES roster_takeovers(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL,
    language    TEXT NOT NULL,
    message_id  INTEGER,
    PRIMARY KEY (takeover_id, user_id)
);

PRAGMA user_version = 3;
