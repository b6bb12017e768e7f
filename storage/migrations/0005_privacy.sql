-- Privacy and exports (issue 6).

-- Set when a report's personal data was removed (retention job or /forget); the retention job
-- looks only at rows where it is NULL, so it is idempotent and cheap.
ALTER TABLE reports ADD COLUMN anonymised_at TEXT;
CREATE INDEX reports_retention ON reports(closed_at) WHERE anonymised_at IS NULL;

-- Exports select by project and creation time (any status), and count "me too" per report.
CREATE INDEX reports_project_created ON reports(project_id, created_at);
CREATE INDEX reports_created ON reports(created_at);

PRAGMA user_version = 5;
