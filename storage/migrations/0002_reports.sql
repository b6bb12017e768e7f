-- Problem reports (issue 3): categories, reports, photos, status history, relayed messages,
-- "me too", routing rules, drafts, worker digest settings and escalation.
-- Timestamps are UTC ISO-8601 strings (bot.clock.to_db).
-- Personal data lives only in users (reporter_id / user_id point there); /forget sets
-- reporter_id NULL (ON DELETE SET NULL or an UPDATE) and the report stays in the statistics.

-- Categories per project. label_msgid is an English gettext msgid (domain "reports") for the
-- default set; a project-specific category may carry its own label text in label_msgid too.
CREATE TABLE report_categories (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,                 -- housing, energy, street, safety, ...
    emoji       TEXT NOT NULL,
    label_msgid TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (project_id, key)
);

-- Per-year numbering of references: R-<year>-<seq:04d>.
CREATE TABLE report_counters (
    year     INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,     -- e.g. R-2026-0042
    year             INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    group_id         INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    reporter_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL once forgotten
    category_id      INTEGER NOT NULL REFERENCES report_categories(id),
    category_key     TEXT NOT NULL,            -- denormalised for exports/statistics
    text             TEXT,                     -- what is wrong (NULL when only a voice note)
    voice_file_id    TEXT,
    voice_duration   INTEGER,
    neighbourhood_id INTEGER REFERENCES neighbourhoods(id) ON DELETE SET NULL,
    lat              REAL,
    lon              REAL,
    address          TEXT,                     -- typed address, if given
    show_name        INTEGER NOT NULL DEFAULT 0,   -- consent: worker may see the reporter's name
    quote_ok         INTEGER NOT NULL DEFAULT 0,   -- consent: story may be quoted anonymously
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'seen', 'in_progress', 'forwarded', 'resolved',
                                       'not_for_us', 'withdrawn')),
    status_reason    TEXT,                     -- reason of the latest not_for_us / reopen
    assigned_to      INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- responsible worker
    language         TEXT,                     -- reporter's language when reporting
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,            -- latest event of any kind
    seen_at          TEXT,                     -- first time a worker marked it Seen (or acted)
    first_answer_at  TEXT,                     -- first status change or reply by a worker
    resolved_at      TEXT,
    closed_at        TEXT,                     -- resolved / not_for_us / withdrawn
    reopened_count   INTEGER NOT NULL DEFAULT 0,
    reopened_at      TEXT,
    solved_asked_at  TEXT,                     -- "is it solved?" question queued
    solved_answer    TEXT CHECK (solved_answer IN ('yes', 'no')),
    escalated_at     TEXT,                     -- not Seen in time: admins were told
    source_update_id INTEGER UNIQUE,           -- the confirming update: a replay is a no-op
    UNIQUE (year, seq)
);
CREATE INDEX reports_project_status ON reports(project_id, status, created_at);
CREATE INDEX reports_reporter ON reports(reporter_id, created_at);
CREATE INDEX reports_assigned ON reports(assigned_to, status);
CREATE INDEX reports_similar ON reports(project_id, category_id, neighbourhood_id, status);

CREATE TABLE report_photos (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    file_id     TEXT NOT NULL,
    added_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    caption     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX report_photos_report ON report_photos(report_id);

-- History: status changes, assignments, reopen, escalation, delivery problems, ...
CREATE TABLE report_events (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                 -- created, status, assigned, reopened, me_too,
                                               -- info_added, withdrawn, escalated, undeliverable,
                                               -- rerouted, solved_yes, solved_no
    old_status  TEXT,
    new_status  TEXT,
    actor_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL = the system
    target_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- e.g. new assignee
    reason      TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX report_events_report ON report_events(report_id, id);
CREATE INDEX report_events_time ON report_events(created_at);

-- Relayed messages between worker and reporter (and info the reporter adds later).
CREATE TABLE report_messages (
    id             INTEGER PRIMARY KEY,
    report_id      INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    direction      TEXT NOT NULL CHECK (direction IN ('to_reporter', 'to_worker')),
    sender_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    text           TEXT,
    voice_file_id  TEXT,
    photo_file_id  TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX report_messages_report ON report_messages(report_id, id);

CREATE TABLE report_me_too (
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (report_id, user_id)
);
CREATE INDEX report_me_too_time ON report_me_too(created_at);

-- (neighbourhood, category) -> worker; NULLs are wildcards. Most specific rule wins.
CREATE TABLE routing_rules (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    neighbourhood_id INTEGER REFERENCES neighbourhoods(id) ON DELETE CASCADE,
    category_id      INTEGER REFERENCES report_categories(id) ON DELETE CASCADE,
    worker_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX routing_rules_key
    ON routing_rules(project_id, IFNULL(neighbourhood_id, 0), IFNULL(category_id, 0));

-- An abandoned /report conversation, resumable on the next /report (one per person).
CREATE TABLE report_drafts (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',      -- JSON of the dialog data
    updated_at TEXT NOT NULL
);

-- Per-worker digest schedule. Missing row = defaults (daily at DIGEST_TIME).
CREATE TABLE digest_settings (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    frequency    TEXT NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly', 'off')),
    time_local   TEXT NOT NULL DEFAULT '08:30',   -- HH:MM in TIMEZONE
    weekday      INTEGER NOT NULL DEFAULT 0,      -- 0 = Monday, for weekly
    last_sent_at TEXT,                            -- UTC; the window of the next digest starts here
    created_at   TEXT NOT NULL
);

PRAGMA user_version = 2;
