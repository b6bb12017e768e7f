-- What people send is kept (issue 13): a resident who speaks in two or three short voice notes.
-- The first voice note stays in reports.voice_file_id (digests, exports and the dossier read it
-- there); every further one is a row here, in the order it was sent. Personal data: removed by
-- /forget and by retention with the first one, counted in /mydata.
CREATE TABLE report_voices (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    file_id     TEXT NOT NULL,
    duration    INTEGER,
    added_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX report_voices_report ON report_voices(report_id);

PRAGMA user_version = 10;
