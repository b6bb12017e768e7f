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

PRAGMA user_version = 11;
