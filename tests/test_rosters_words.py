"""Rosters, issue 14: who is called for a gap, what the organiser is told, reasons in the
reader's language, "too late" reaching the organiser, and the volunteer told who took over."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.roster_helpers import slot_ids, volunteer, world

TZ = ZoneInfo("Europe/Brussels")


async def _steps_back_with_button(h, admin, lang="en"):
    sofie, jan, member_payload = await world(h, admin)
    ahmed = await volunteer(h, "Ahmed", member_payload, lang=lang)
    lies = await volunteer(h, "Lies", member_payload)
    mo = await volunteer(h, "Mo", member_payload, lang="tr")
    first = (await slot_ids(h))[0]
    await ahmed.press_data(f"sh:take:{first}")
    await h.advance_to(datetime(2026, 3, 5, 10, 0, tzinfo=TZ))  # Thursday
    await ahmed.send("/shifts")
    await ahmed.press("↩️")
    return sofie, jan, ahmed, lies, mo, first


async def test_reason_from_a_button_is_a_code_shown_in_each_readers_language(h, admin):
    sofie, jan, ahmed, lies, mo, first = await _steps_back_with_button(h, admin)
    await ahmed.press("Something came up")  # English volunteer
    rows = await h.rows(
        "SELECT state, reason, reason_code FROM roster_shifts WHERE slot_id = ?", (first,)
    )
    assert rows == [("stepped_back", None, "other")]
    assert "Ahmed" in jan.last_text()
    assert "Er kwam iets tussen" in jan.last_text()  # Jan reads Dutch
    assert "Something came up" not in jan.last_text()


async def test_stepped_back_volunteer_told_who_took_over(h, admin):
    sofie, jan, ahmed, lies, mo, first = await _steps_back_with_button(h, admin, lang="ar")
    await ahmed.press("🤒")
    assert "Who can take over" in lies.last_text()
    await lies.press("✋")
    text = ahmed.last_text()
    assert "Lies" in text and "✅" in text
    assert "takes over" not in text  # in Arabic, as Ahmed reads
    assert "\u200f" in text or "\u2067" in text  # right to left


async def test_overview_call_buttons_name_the_task(h, admin):
    sofie, jan, ahmed, lies, mo, first = await _steps_back_with_button(h, admin)
    await ahmed.press("Something came up")
    task_id = (await h.rows("SELECT id FROM roster_tasks"))[0][0]
    await jan.press_data(f"ro:ov:{task_id}")
    calls = [b for b in jan.button_texts() if b.startswith("📣")]
    assert calls and all("Food distribution" in b for b in calls), calls
    assert any("7 mrt" in b for b in calls), calls  # Jan reads Dutch dates


async def test_gap_call_skips_who_stepped_back_and_a_second_tap_says_so_truthfully(h, admin):
    sofie, jan, ahmed, lies, mo, first = await _steps_back_with_button(h, admin)
    await ahmed.press("Something came up")
    ahmed_before = len(ahmed.texts())
    lies_before = len(lies.texts())
    await jan.press_data(f"ro:call:{first}")
    told = jan.last_text()
    assert "2" in told and "Lies" in told and "Mo" in told, told
    assert len(lies.texts()) == lies_before + 1
    assert len(ahmed.texts()) == ahmed_before  # he just stepped back from it
    await jan.press_data(f"ro:call:{first}")
    again = jan.last_text()
    assert "Lies" in again and "Mo" in again
    assert not again.rstrip().endswith(":")
    assert len(lies.texts()) == lies_before + 1  # not asked twice
