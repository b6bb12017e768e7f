"""The core: settings, clock, i18n, outbox, scheduler, roles and text helpers.

No Telegram types, no feature rules.
"""
