-- Privacy for meetings, action calls and rosters (issue 6, second part).
-- When the person behind an answer is removed (/forget, or the retention job for events older
-- than RETENTION_DAYS), the answer is folded into an anonymous tally here and its row deleted:
-- statistics keep their counts, nothing links them to a person (not even an empty users row).
CREATE TABLE anonymous_tallies (
    kind      TEXT NOT NULL,                 -- meeting_rsvp | meeting_attended | poll_vote | action_answer
    object_id INTEGER NOT NULL,              -- meetings.id | date_poll_options.id | actions.id
    label     TEXT NOT NULL DEFAULT '',      -- the answer ('yes', 'coming:<role id>', ...)
    n         INTEGER NOT NULL,
    PRIMARY KEY (kind, object_id, label)
);

-- Set when the retention job folded an event's answers into anonymous_tallies (idempotent).
ALTER TABLE meetings ADD COLUMN anonymised_at TEXT;
ALTER TABLE actions ADD COLUMN anonymised_at TEXT;
CREATE INDEX meetings_retention ON meetings(starts_at) WHERE anonymised_at IS NULL;
CREATE INDEX actions_retention ON actions(starts_at) WHERE anonymised_at IS NULL;

PRAGMA user_version = 7;
