-- Step-back reasons tapped on a button are a code, shown in each reader's language ('ill',
-- 'other'); typed reasons stay text in roster_shifts.reason. Health data: /forget and the
-- retention job clear it with the typed reason.
ALTER TABLE roster_shifts ADD COLUMN reason_code TEXT CHECK (reason_code IN ('ill', 'other'));

-- Who was asked to fill a slot (the organiser's call, or "who can take over?"), so a second call
-- asks only the ones not asked yet and says so truthfully. Removed by /forget and once the slot
-- has started.
CREATE TABLE roster_calls (
    slot_id  INTEGER NOT NULL REFERENCES roster_slots(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    asked_at TEXT NOT NULL,
    PRIMARY KEY (slot_id, user_id)
);

-- A member who wants no action calls at all (from none of their groups, also ones joined later);
-- meetings and rosters still reach them (that is /stop). Removed by /forget.
CREATE TABLE action_mutes_all (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    muted_at TEXT NOT NULL
);

PRAGMA user_version = 16;
