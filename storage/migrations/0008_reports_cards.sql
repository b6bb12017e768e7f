-- Problem reports, second round (issue 3): the worker's card is edited in place, and projects
-- manage their own categories.

-- A project's own words for a category (added or renamed with the bot): shown as typed, never
-- translated. NULL = the default label (label_msgid), translated. Hidden = active 0.
ALTER TABLE report_categories ADD COLUMN custom_label TEXT;

-- Where each report's card was delivered (from the outbox's on_sent hook), so a status change
-- or a new "me too" can edit it in place.
CREATE TABLE report_cards (
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (report_id, chat_id)
);

-- The card's text as sent (outbox payload) is looked up by ref when it is delivered.
CREATE INDEX outbox_ref ON outbox(ref) WHERE ref IS NOT NULL;

PRAGMA user_version = 8;
