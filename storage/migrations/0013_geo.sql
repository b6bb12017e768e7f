-- Where a report is, and one file that sets up an institute (issues 13 and 17).
-- A neighbourhood may have a boundary (a GeoJSON Polygon or MultiPolygon geometry, as text): a
-- pin inside it belongs to it. Hidden neighbourhoods, projects and groups were removed from the
-- set-up file: reports and answers keep pointing at them, residents no longer see them.
ALTER TABLE neighbourhoods ADD COLUMN boundary TEXT;
ALTER TABLE neighbourhoods ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN setup_key TEXT;
ALTER TABLE projects ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX projects_setup_key ON projects(setup_key) WHERE setup_key IS NOT NULL;
ALTER TABLE groups ADD COLUMN setup_key TEXT;
ALTER TABLE groups ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX groups_setup_key ON groups(project_id, setup_key) WHERE setup_key IS NOT NULL;

-- A category's name per language ({"nl": "Wonen", "fr": "Logement", ...}) from the set-up file;
-- shown in the reader's language, else custom_label.
ALTER TABLE report_categories ADD COLUMN labels TEXT;

-- The workers and organisers a set-up file names, by the file's key. user_id is known once the
-- person used their invite; their roles and routing rules wait here until then.
CREATE TABLE setup_people (
    key          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    invite_token TEXT REFERENCES invites(token) ON DELETE SET NULL
);

-- What the file gives each person: worker of a project, organiser of a group, default worker.
CREATE TABLE setup_grants (
    person_key TEXT NOT NULL REFERENCES setup_people(key) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('worker', 'organiser', 'default')),
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    group_id   INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    UNIQUE (person_key, kind, project_id, group_id)
);

-- The file's routing rules (NULL = every neighbourhood / category); each is copied into
-- routing_rules as soon as its worker has joined.
CREATE TABLE setup_rules (
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    neighbourhood_id INTEGER REFERENCES neighbourhoods(id) ON DELETE CASCADE,
    category_id      INTEGER REFERENCES report_categories(id) ON DELETE CASCADE,
    person_key       TEXT NOT NULL REFERENCES setup_people(key) ON DELETE CASCADE
);
CREATE UNIQUE INDEX setup_rules_key
    ON setup_rules(project_id, IFNULL(neighbourhood_id, 0), IFNULL(category_id, 0));

PRAGMA user_version = 13;
