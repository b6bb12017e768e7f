-- The worker's side (issue 13): a handed-over card and a digest run that sent nothing.

-- A card of a report that was handed to a colleague (users.id of the new assignee): it is shown
-- as "handed to <colleague>" without buttons, and its buttons no longer act. NULL = live card.
ALTER TABLE report_cards ADD COLUMN handed_to INTEGER;

-- The latest digest slot that was looked at, whether or not anything was sent. last_sent_at is
-- only moved by a digest that was really sent, so the next one starts where the last one the
-- worker read ended; checked_at keeps an empty slot from being looked at again every minute.
ALTER TABLE digest_settings ADD COLUMN checked_at TEXT;

PRAGMA user_version = 9;
