"""Typed dates in every shipped language (bot/core/dateparse.py).

Now: Monday 2 March 2026, 09:00 Brussels."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.dateparse import parse, parse_time

TZ = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    "lang, text, expected",
    [
        ("nl", "dinsdag 19u", at(3, 3, 19)),
        ("nl", "volgende week dinsdag om 19u30", at(3, 10, 19, 30)),
        ("nl", "12/3 19:00", at(3, 12, 19)),
        ("nl", "12 maart 19u", at(3, 12, 19)),
        ("nl", "morgen 14u", at(3, 3, 14)),
        ("nl", "overmorgen 10.30", at(3, 4, 10, 30)),
        ("fr", "mardi 19h", at(3, 3, 19)),
        ("fr", "12 mars à 19h", at(3, 12, 19)),
        ("fr", "demain 10h", at(3, 3, 10)),
        ("fr", "après-demain 19h30", at(3, 4, 19, 30)),
        ("en", "Tuesday 7pm", at(3, 3, 19)),
        ("en", "March 12 at 7:30 pm", at(3, 12, 19, 30)),
        ("en", "tomorrow 10am", at(3, 3, 10)),
        ("en", "12/3/2026 19:00", at(3, 12, 19)),
        ("ar", "الثلاثاء ١٩:٠٠", at(3, 3, 19)),
        ("ar", "الثلاثاء الساعة 7 مساءً", at(3, 3, 19)),
        ("ar", "12 مارس 19:00", at(3, 12, 19)),
        ("ar", "غدا 10:00", at(3, 3, 10)),
        ("tr", "salı 19:00", at(3, 3, 19)),
        ("tr", "salı akşam 7", at(3, 3, 19)),
        ("tr", "12 Mart saat 19", at(3, 12, 19)),
        ("tr", "yarın 10:00", at(3, 3, 10)),
        ("tr", "salıya 19'da", at(3, 3, 19)),
    ],
)
def test_clear_dates_in_every_language(lang, text, expected):
    result = parse(text, lang, NOW)
    assert result.problem is None, result
    assert result.when == expected


def test_day_first_numeric_dates_belgium():
    assert parse("4/5 19u", "nl", NOW).when == at(5, 4, 19)  # 4 May, not 5 April
    assert parse("4-5-2026 19:00", "fr", NOW).when == at(5, 4, 19)


@pytest.mark.parametrize(
    "lang, text",
    [
        ("nl", "1/3 19u"),
        ("fr", "1er mars 19h"),
        ("en", "1 March 7pm"),
        ("ar", "1 مارس 19:00"),
        ("tr", "1 Mart 19:00"),
    ],
)
def test_past_date_asks_and_offers_next_year(lang, text):
    result = parse(text, lang, NOW)
    assert result.problem == "past"
    assert result.candidates == (at(3, 1, 19, year=2027),)


def test_past_with_explicit_year_has_no_candidate():
    result = parse("12/3/2025 19:00", "en", NOW)
    assert result.problem == "past" and result.candidates == ()


@pytest.mark.parametrize(
    "lang, text",
    [
        ("nl", "dinsdag 7u"),
        ("en", "tuesday 7"),
        ("fr", "mardi 7h"),
        ("ar", "الثلاثاء 7"),
        ("tr", "salı 7"),
    ],
)
def test_bare_early_hour_is_a_question(lang, text):
    result = parse(text, lang, NOW)
    assert result.problem == "ambiguous"
    assert result.candidates == (at(3, 3, 7), at(3, 3, 19))


def test_weekday_of_today_asks_today_or_next_week():
    result = parse("maandag 19u", "nl", NOW)
    assert result.problem == "ambiguous"
    assert result.candidates == (at(3, 2, 19), at(3, 9, 19))
    assert parse("volgende maandag 19u", "nl", NOW).when == at(3, 9, 19)


def test_missing_parts_and_nonsense():
    assert parse("dinsdag", "nl", NOW) == parse("dinsdag", "nl", NOW)
    no_time = parse("jeudi", "fr", NOW)
    assert no_time.problem == "no_time" and no_time.day == date(2026, 3, 5)
    no_date = parse("19u", "nl", NOW)
    assert no_date.problem == "no_date" and no_date.clock == time(19, 0)
    assert parse("blabla", "nl", NOW).problem == "unknown"
    assert parse("31/2 19u", "nl", NOW).problem == "unknown"
    assert parse("", "nl", NOW).problem == "unknown"


def test_other_language_words_still_understood():
    # A Dutch organiser who types French still gets an answer.
    assert parse("mardi 19h", "nl", NOW).when == at(3, 3, 19)


def test_parse_time_only():
    assert parse_time("19u30", "nl") == (time(19, 30), False)
    assert parse_time("7pm", "en") == (time(19, 0), False)
    assert parse_time("7", "nl") == (time(7, 0), True)
