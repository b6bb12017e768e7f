-- Translation and transcription on the organisation's own servers (issue 15).
-- Personal data like the original: in /mydata, removed by /forget and by retention.

-- A translation is made once per (text, source language, target language) and kept: the same
-- meeting title for 600 members is one call per language. ``digest`` is the SHA-256 of the text.
-- What people write is sent with source 'auto' (a resident may write in another language than
-- the one she reads the bot in); organisers' texts with the organiser's language.
CREATE TABLE translations (
    id          INTEGER PRIMARY KEY,
    digest      TEXT NOT NULL,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    text        TEXT NOT NULL,
    corrected   INTEGER NOT NULL DEFAULT 0,   -- 1: an organiser corrected it by hand
    kind        TEXT NOT NULL DEFAULT 'person',   -- 'org': an organiser's title, place, agenda
    detected    TEXT,                         -- source 'auto': the language the server found
    created_at  TEXT NOT NULL,
    UNIQUE (digest, source, target)
);

-- Whose words a translation carries, and for whom it was made (both are its people), and of
-- which report when it belongs to one (retention).
CREATE TABLE translation_people (
    translation_id INTEGER NOT NULL REFERENCES translations(id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users(id) ON DELETE CASCADE,
    report_id      INTEGER REFERENCES reports(id) ON DELETE CASCADE,
    UNIQUE (translation_id, user_id, report_id)
);
CREATE INDEX translation_people_user ON translation_people(user_id);
CREATE INDEX translations_kind ON translations(kind);
CREATE INDEX translation_people_report ON translation_people(report_id);

-- One transcript per voice file (Telegram file_id), with the language it was spoken in.
CREATE TABLE transcripts (
    file_id     TEXT PRIMARY KEY,
    text        TEXT NOT NULL,
    language    TEXT,
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,   -- who spoke
    report_id   INTEGER REFERENCES reports(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
);
CREATE INDEX transcripts_user ON transcripts(user_id);
CREATE INDEX transcripts_report ON transcripts(report_id);

-- Work for the text servers, done by the scheduler (a restart loses nothing): a sent message
-- to bring up to date when its translation/transcript comes (kind 'message': the outbox row
-- ``outbox_id``, edited once, by dedupe key), a report's cards in one language ('card'), or an
-- organiser's text to have ready in one language before it is sent ('org'), or a notice
-- sent with an organiser's new text as typed, to show translated once it is ('swap').
CREATE TABLE enrichments (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('card', 'message', 'org', 'swap')),
    report_id    INTEGER REFERENCES reports(id) ON DELETE CASCADE,
    subject_id   INTEGER REFERENCES users(id) ON DELETE CASCADE,   -- whose words
    reader_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,   -- for whom
    chat_id      INTEGER,
    source       TEXT,
    target       TEXT NOT NULL,
    text         TEXT,
    voice        TEXT,
    head         TEXT,            -- the message's HTML above the text (kind 'message')
    markup       TEXT,            -- its reply_markup, JSON
    caption      INTEGER NOT NULL DEFAULT 0,   -- 1: the text is a caption (1,024 characters)
    outbox_id    INTEGER,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'ready', 'done', 'gave_up')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    give_up_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    done_at      TEXT
);
CREATE INDEX enrichments_due ON enrichments(state, next_at);
CREATE UNIQUE INDEX enrichments_card ON enrichments(report_id, target) WHERE kind = 'card';
CREATE INDEX enrichments_subject ON enrichments(subject_id);
CREATE INDEX enrichments_reader ON enrichments(reader_id);

PRAGMA user_version = 14;
