-- Action calls (story 7) and the outbox's priority lane.

-- In-place updates (progress, live views) go before a bulk broadcast.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_ref_pending ON outbox(ref) WHERE state = 'pending';
-- The sender's order (priority lane first, then FIFO) without sorting the whole backlog.
CREATE INDEX outbox_pending_order ON outbox(priority DESC, id) WHERE state = 'pending';

CREATE TABLE actions (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created_by        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    what              TEXT NOT NULL,
    starts_at         TEXT NOT NULL,               -- UTC
    place             TEXT NOT NULL,
    why               TEXT,
    bring             TEXT,
    group_ids         TEXT NOT NULL,               -- JSON list of target group ids
    whole_project     INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'cancelled')),
    status_chat_id    INTEGER,                     -- the organiser's live view message
    status_message_id INTEGER,
    total             INTEGER NOT NULL DEFAULT 0,  -- people it was sent to
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT,
    followup_sent_at  TEXT
);

CREATE TABLE action_roles (
    id        INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    needed    INTEGER NOT NULL CHECK (needed > 0)
);
CREATE INDEX action_roles_action ON action_roles(action_id);

-- Who got the call (one row per person, whatever the number of target groups) and their answer.
CREATE TABLE action_recipients (
    action_id   INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id    INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    answer      TEXT CHECK (answer IN ('coming', 'cant')),
    role_id     INTEGER REFERENCES action_roles(id) ON DELETE SET NULL,
    answered_at TEXT,
    PRIMARY KEY (action_id, user_id)
);
CREATE INDEX action_recipients_role ON action_recipients(action_id, role_id);

-- A member who does not want action calls from one group.
CREATE TABLE action_mutes (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    muted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, group_id)
);

PRAGMA user_version = 6;
