"""The domain services: the rules of reports, meetings, action calls, rosters, privacy and
dossiers. No Telegram types."""
