-- Assisted mode (issue 17): a worker or organiser acts for a resident without Telegram.
-- The person is an ordinary users row whose tg_id lies in a synthetic range (>= 2^62, see
-- bot/core/assisted.py) that Telegram ids never reach: everything that counts or routes by
-- users works unchanged, and the outbox turns every message for that "chat" into a
-- "tell <first name>: ..." message to the worker who entered the person.
CREATE TABLE assisted_persons (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    entered_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- gets her news
    group_id     INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    phone        TEXT,                                             -- optional; personal data
    language     TEXT NOT NULL,                                    -- her own language
    consent_at   TEXT NOT NULL,                                    -- read out and agreed
    created_at   TEXT NOT NULL
);
CREATE INDEX assisted_persons_group ON assisted_persons(group_id);

-- Who is acting for whom right now (one person per worker, one worker per person): what the
-- worker types or sends is for that person.
CREATE TABLE assist_sessions (
    worker_id        INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    person_id        INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    started_at       TEXT NOT NULL,
    last_at          TEXT NOT NULL
);

-- The bot's replies (screens) in a worker's chat that were made for a person: a button on one
-- acts for her, also after the session ended, and never for the worker herself.
CREATE TABLE assist_screens (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);

-- Every "tell <first name>" message: which outbox row carried it (so its buttons act for the
-- person) and a line for the worker's digest.
CREATE TABLE assist_news (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    worker_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    outbox_id  INTEGER,
    summary    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assist_news_worker ON assist_news(worker_id, created_at);
CREATE INDEX assist_news_outbox ON assist_news(outbox_id);
-- The updates a worker sent for her (the raw updates hold her name, words and phone number in
-- the worker's chat): /forget scrubs them with the rest of her data.
CREATE TABLE assist_updates (
    person_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    update_id  INTEGER NOT NULL,
    PRIMARY KEY (person_id, update_id)
);

CREATE INDEX outbox_chat_message ON outbox(chat_id, message_id) WHERE message_id IS NOT NULL;

PRAGMA user_version = 12;
