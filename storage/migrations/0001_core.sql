-- Core: people, projects, neighbourhoods, groups, invites, and the durable inbox/outbox.
-- Timestamps are UTC ISO-8601 strings (bot.clock.to_db).

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    tg_id           INTEGER UNIQUE,            -- NULL after /forget
    first_name      TEXT,
    last_name       TEXT,
    username        TEXT,
    tg_language     TEXT,                      -- language_code Telegram sent
    language        TEXT,                      -- the person's own choice, if made
    privacy_seen_at TEXT,
    unreachable_at  TEXT,                      -- 403 from Telegram: blocked the bot
    stopped_at      TEXT,                      -- said /stop
    forgotten_at    TEXT,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL
);

CREATE TABLE projects (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    created_by        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    default_worker_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL
);

CREATE TABLE neighbourhoods (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    lat        REAL,
    lon        REAL,
    UNIQUE (project_id, name)
);

CREATE TABLE project_workers (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    joined_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    member_token TEXT NOT NULL UNIQUE,         -- reusable member invite payload
    chat_id      INTEGER,                      -- linked Telegram group chat, if any
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE memberships (
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('member', 'organiser')),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

-- Worker and organiser invites are one-time and expire; member links are groups.member_token.
CREATE TABLE invites (
    token      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('worker', 'organiser')),
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at    TEXT
);

-- Every update is committed here before Telegram is told it was received.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    chat_key     TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX inbox_pending ON inbox(update_id) WHERE processed_at IS NULL;

-- Every message to others goes through here; one row per recipient and message.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    method      TEXT NOT NULL,                 -- sendMessage, sendPhoto, editMessageText, ...
    payload     TEXT NOT NULL,                 -- JSON parameters
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,                          -- UTC; retry backoff
    batch       TEXT,                          -- e.g. 'action:12' for progress counts
    ref         TEXT,                          -- what to update with the message id, e.g. 'report:5'
    dedupe_key  TEXT UNIQUE,                   -- the same logical message is queued once
    message_id  INTEGER,
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_due ON outbox(state, id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_batch ON outbox(batch, state);

-- The one open conversation of a person (what the bot is waiting for from them).
CREATE TABLE dialogs (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- Last run of periodic jobs, so a restart neither repeats nor skips them.
CREATE TABLE job_runs (
    name     TEXT PRIMARY KEY,
    last_run TEXT NOT NULL
);

PRAGMA user_version = 1;
