-- Issue 14: publishing a meeting series sends one card, and a member can answer for the whole
-- series ("every time") or for one date. The series answer is stored once; each occurrence
-- still gets its own RSVP row (written when the occurrence is created), so reminders, the
-- organiser's names list, attendance and exports read what they always read. Personal data:
-- removed by /forget with the person's future answers.
CREATE TABLE meeting_series_answers (
    series_id   INTEGER NOT NULL REFERENCES meeting_series(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('yes')),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (series_id, user_id)
);

-- A series' occurrence is announced when it becomes the next one (not all at publishing).
ALTER TABLE meetings ADD COLUMN announced_at TEXT;
UPDATE meetings SET announced_at = created_at;

PRAGMA user_version = 15;
