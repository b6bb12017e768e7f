-- /forget reaches every copy, and "me too" keeps people in (issue 13).

-- Every message the bot sent to a worker's (or admin's) chat that carries a report's personal
-- data, besides the card itself (report_cards): the text that did not fit on the card, voice
-- notes, photos, the pin, relayed answers, the card and history re-sent from /problems, the
-- /problems list that quotes it. Filled
-- by the outbox's on_sent hook ("rcopy:...") and by the /problems handler, so /forget can edit
-- or delete each one (Telegram: a bot deletes its messages only within 48 hours; text can be
-- edited at any time). user_id: whose data it carries (NULL: the report's reporter).
-- cleaned_at: edited or deleted after /forget; kept: why it could not be (e.g. 'too_old').
CREATE TABLE report_copies (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    kind       TEXT NOT NULL,     -- card, history, list, text, voice, photo, location, relay_*
    sent_at    TEXT NOT NULL,
    cleaned_at TEXT,
    kept       TEXT,
    UNIQUE (report_id, chat_id, message_id)
);
CREATE INDEX report_copies_report ON report_copies(report_id);
CREATE INDEX report_copies_user ON report_copies(user_id) WHERE user_id IS NOT NULL;

-- A Telegram account that used /forget, so that when it writes or taps an old button again it
-- is greeted as the new person it is (with the privacy notice) instead of silently re-created.
-- No personal data: only a keyed hash (HMAC-SHA256 with a secret that is not in the database)
-- of the Telegram id; deleted once that account starts again.
CREATE TABLE forgotten_accounts (
    key          TEXT PRIMARY KEY,
    forgotten_at TEXT NOT NULL
);

-- A household that said "me too" may tell its own story: words, voice notes and photos go to
-- the report's worker, with the same consent questions as a report (name shown, may be quoted).
ALTER TABLE report_me_too ADD COLUMN text TEXT;
ALTER TABLE report_me_too ADD COLUMN show_name INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_me_too ADD COLUMN quote_ok INTEGER NOT NULL DEFAULT 0;
CREATE INDEX report_me_too_user ON report_me_too(user_id) WHERE user_id IS NOT NULL;

PRAGMA user_version = 11;
