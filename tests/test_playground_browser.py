"""The playground in a real browser: Debian's Chromium, driven by Selenium through the
distribution's chromedriver (no browser download: CI has no internet).

The playground runs as `buurtbot playground` in a subprocess on a free port; each test starts
the demo over with *Reset*. Stories 2 and 6 need the reports and meetings features: they are
skipped, with the reason, while those features are not registered in this build.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(
        "Chromium or chromedriver missing (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')"
)
# After the skips above on purpose: without Chromium or selenium the module must skip, not fail.
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FATIMA, MEHMET, SOFIE, JAN, AMINA = 7101, 7102, 7002, 7003, 7201
LIES, AHMED = 7104, 7105
# Default phones on the page: 0 Fatima (resident, ar), 1 Jan (organiser), 2 Sofie (worker), 3 Ann.


# ---------------------------------------------------------------------- fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def playground(tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    workdir = tmp_path_factory.mktemp("playground")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "playground",
            "--port",
            str(port),
            "--no-browser",
            "--db",
            str(workdir / "playground.sqlite3"),
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            line = proc.stdout.readline() if proc.stdout else ""
            if "ready" in line:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                rest = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the playground did not start: {line}{rest}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="buurtbot-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1480,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def _open(browser: Any, url: str) -> Page:
    browser.get(url)
    p = Page(browser, url)
    p.wait(
        lambda: "ready" in (browser.find_element(By.TAG_NAME, "body").get_attribute("class") or "")
    )
    return p


@pytest.fixture
def page(playground, browser) -> Iterator[Page]:
    """The page in English (the story tests read its English labels), the demo made anew."""
    _post(playground + "api/reset", {})
    yield _open(browser, playground + "?lang=en")


def features(url: str) -> list[str]:
    with urllib.request.urlopen(url + "api/config", timeout=10) as resp:
        return list(json.loads(resp.read())["features"])


def require(url: str, feature: str, story: str) -> None:
    if feature not in features(url):
        pytest.skip(f"{story} needs the '{feature}' feature, which is not registered in this build")


# Listed before ``page`` in a test's arguments, so a skip costs no reset and no page load.
@pytest.fixture
def reports_on(playground) -> None:
    require(playground, "reports", "Story 2 (a resident reports a problem)")


@pytest.fixture
def meetings_on(playground) -> None:
    require(playground, "meetings", "Story 6 (a meeting with RSVPs and reminders)")


@pytest.fixture
def actions_on(playground) -> None:
    require(playground, "actions", "Story 7 (a call for action)")


@pytest.fixture
def rosters_on(playground) -> None:
    require(playground, "rosters", "Story 10 (a volunteer roster)")


# ---------------------------------------------------------------------- page driver


class Page:
    def __init__(self, driver: Any, url: str) -> None:
        self.d = driver
        self.url = url

    def wait(self, cond: Callable[[], Any], timeout: float = 15, what: str = "") -> Any:
        def check(_driver: Any) -> Any:
            try:
                return cond()
            except StaleElementReferenceException:
                return False

        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(check)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what or cond}") from None

    def phone(self, i: int) -> WebElement:
        return self.d.find_element(By.ID, f"phone-{i}")

    def choose(self, i: int, user_id: int) -> None:
        Select(self.phone(i).find_element(By.CSS_SELECTOR, "select.who")).select_by_value(
            str(user_id)
        )
        self.wait(lambda: self.phone(i).get_attribute("data-user") == str(user_id))

    def bubbles(self, i: int, side: str = "bot") -> list[WebElement]:
        return self.phone(i).find_elements(By.CSS_SELECTOR, f".chat .msg.{side}")

    def texts(self, i: int, side: str = "bot") -> list[str]:
        for _ in range(20):  # the page may re-render under us: read again
            try:
                return [b.text for b in self.bubbles(i, side)]
            except StaleElementReferenceException:
                time.sleep(0.05)
        raise AssertionError("the page kept re-rendering")

    def last_text(self, i: int) -> str:
        texts = self.texts(i)
        return texts[-1] if texts else ""

    def count(self, i: int, side: str = "bot") -> int:
        return len(self.bubbles(i, side))

    def wait_new(self, i: int, before: int, what: str = "a new message") -> str:
        self.wait(lambda: self.count(i) > before, what=what)
        return self.last_text(i)

    def buttons(self, i: int) -> list[WebElement]:
        return self.phone(i).find_elements(By.CSS_SELECTOR, ".chat .msg.bot .ib")

    def press(self, i: int, *labels: str) -> str:
        """Tap the newest inline button containing one of ``labels`` (first label found wins).
        The page re-renders as messages arrive, so a button found a moment ago may be gone:
        look again."""
        seen: list[str] = []
        for _ in range(40):
            try:
                buttons = list(reversed(self.buttons(i)))
                seen = [b.text for b in buttons]
                for label in labels:
                    for b in buttons:
                        if label in b.text:
                            b.click()
                            return label
                break
            except StaleElementReferenceException:
                time.sleep(0.05)
        raise AssertionError(f"phone {i}: none of {labels!r} in {seen[:12]}")

    def send(self, i: int, text: str) -> None:
        box = self.phone(i).find_element(By.CSS_SELECTOR, ".composer .text")
        box.clear()
        box.send_keys(text)
        self.phone(i).find_element(By.CSS_SELECTOR, ".composer .send").click()

    def upload(self, i: int, kind: str, path: Path) -> None:
        self.phone(i).find_element(By.CSS_SELECTOR, f".composer .{kind}-file").send_keys(str(path))

    def attach(self, i: int, css: str, contains: str = "") -> None:
        self.phone(i).find_element(By.CSS_SELECTOR, ".composer .attach").click()
        items = self.phone(i).find_elements(By.CSS_SELECTOR, f".menu {css}")
        item = next(b for b in items if contains in b.text)
        item.click()

    def clock(self) -> str:
        return self.d.find_element(By.ID, "clock").text

    def move_clock(self, action: str) -> str:
        before = self.clock()
        self.d.find_element(By.ID, f"clock-{action}").click()
        self.wait(lambda: self.clock() != before, what="the clock to move")
        return self.clock()

    def command_names(self, i: int) -> list[str]:
        self.phone(i).find_element(By.CSS_SELECTOR, ".composer .commands").click()
        names = [
            b.text.split()[0]
            for b in self.phone(i).find_elements(By.CSS_SELECTOR, ".menu .cmd-item")
        ]
        self.phone(i).find_element(By.CSS_SELECTOR, ".composer .commands").click()
        return names


def _png(path: Path, size: int = 8) -> Path:
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


# ---------------------------------------------------------------------- works on every build


def test_join_by_poster_in_arabic_buttons_and_clock(page: Page):
    # The worker's phone shows the group's QR poster and links; tapping "Links" sends them again.
    worker = 2
    assert "start=g_" in "\n".join(page.texts(worker))
    photos = len(page.phone(worker).find_elements(By.CSS_SELECTOR, ".msg.bot .photo img"))
    assert photos >= 1
    before = page.count(worker)
    page.press(worker, "Links voor Huurders Rabot")
    page.wait(
        lambda: (
            len(page.phone(worker).find_elements(By.CSS_SELECTOR, ".msg.bot .photo img")) > photos
        ),
        what="a new QR poster",
    )
    page.wait_new(worker, before + 1, "the links message")
    qr = page.phone(worker).find_elements(By.CSS_SELECTOR, ".msg.bot .photo img")[-1]
    page.wait(
        lambda: page.d.execute_script("return arguments[0].naturalWidth", qr) > 100,
        what="the QR image",
    )

    # Amina, who never used the bot, scans the poster: greeted in Arabic, right to left.
    page.choose(0, AMINA)
    assert page.count(0) == 0
    page.attach(0, ".poster", "Huurders Rabot")
    # The greeting, then (she joined after the group planned things) one short message with
    # the group's upcoming meeting and action call and their answer buttons.
    page.wait(lambda: page.count(0) >= 2, what="the greeting and the group's plans")
    greeting = page.texts(0)[0]
    assert "Huurders Rabot" in greeting and "مرحب" in greeting
    assert "Huurdersvergadering" in page.texts(0)[1]
    text_el = page.bubbles(0)[0].find_element(By.CSS_SELECTOR, ".text")
    assert (
        page.d.execute_script("return getComputedStyle(arguments[0]).direction", text_el) == "rtl"
    )
    greeting_id = page.bubbles(0)[0].get_attribute("data-id")

    # She confirms Arabic: the welcome stays readable (its language buttons go), her main
    # buttons come to the bottom of the screen and her home screen follows, in Arabic.
    page.press(0, "العربية")
    page.wait(lambda: page.count(0) >= 4 and "حسناً" in page.last_text(0), what="her home in Arabic")
    assert page.bubbles(0)[0].get_attribute("data-id") == greeting_id
    assert "العربية" not in " ".join(b.text for b in page.buttons(0))
    page.press(0, "مجموعاتي")  # "My groups"
    groups = page.wait_new(0, 4, "her groups")
    assert "Huurders Rabot" in groups

    # Typing works too, and the command menu is hers (in Arabic).
    page.send(0, "/help")
    page.wait_new(0, 5, "help")
    assert "/groups" in page.last_text(0)
    assert "/language" in page.command_names(0)

    # The clock control moves the bot's time.
    assert page.clock() == "Mon 02 Mar 2026, 09:00"
    assert page.move_clock("hour") == "Mon 02 Mar 2026, 10:00"
    assert page.move_clock("day") == "Tue 03 Mar 2026, 10:00"
    assert page.move_clock("0830") == "Wed 04 Mar 2026, 08:30"

    # Reset starts the demo over: Amina is new again, the clock is back.
    page.d.find_element(By.ID, "reset").click()
    page.wait(
        lambda: page.clock() == "Mon 02 Mar 2026, 09:00" and page.count(0) == 0, what="the reset"
    )


def test_resident_sends_photo_voice_and_location(page: Page, tmp_path):
    before = page.count(0, "me")
    page.upload(0, "photo", _png(tmp_path / "mould.png"))
    page.wait(lambda: page.count(0, "me") == before + 1, what="the photo bubble")
    img = page.bubbles(0, "me")[-1].find_element(By.CSS_SELECTOR, "img")
    page.wait(
        lambda: page.d.execute_script("return arguments[0].naturalWidth", img) == 8,
        what="the photo",
    )
    voice = tmp_path / "note.ogg"
    voice.write_bytes(b"OggS\x00\x02" + b"\x00" * 58)
    page.upload(0, "voice", voice)
    page.wait(lambda: page.count(0, "me") == before + 2, what="the voice bubble")
    assert page.bubbles(0, "me")[-1].find_elements(By.CSS_SELECTOR, "audio")
    page.attach(0, ".loc", "Blaisantvest")
    page.wait(lambda: page.count(0, "me") == before + 3, what="the location bubble")
    assert "Blaisantvest" in page.bubbles(0, "me")[-1].text
    # Without the reports feature the bot still answers each (it says what it can't use).
    page.wait(lambda: page.count(0) >= 4, what="the bot's answers")


# ---------------------------------------------------------------------- stories 2 and 6


def _walk(
    page: Page,
    i: int,
    prefer: list[str],
    answers: list[str],
    until: Callable[[], bool],
    steps: int = 12,
) -> None:
    """Answer a conversation as a person would: tap a preferred button when there is one, else
    type the next answer; stop when ``until()``."""
    answers = list(answers)
    for _ in range(steps):
        if until():
            return
        before, last_text, labels = _snapshot(page, i)
        choice = next((p for p in prefer if any(p in label for label in labels)), None)
        if choice is not None:
            page.press(i, choice)
        elif answers:
            page.send(i, answers.pop(0))
        else:
            break
        page.wait(
            lambda n=before, t=last_text: _snapshot(page, i)[:2] != (n, t) or until(),
            what="the next question",
        )
    assert until(), f"conversation did not finish: {page.texts(i)[-6:]!r}"


def _snapshot(page: Page, i: int) -> tuple[int, str, list[str]]:
    """(bot message count, last text, last message's button labels), read again if the page
    re-rendered under us."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            bubbles = page.bubbles(i)
            if not bubbles:
                return 0, "", []
            last = bubbles[-1]
            return (
                len(bubbles),
                last.text,
                [b.text for b in last.find_elements(By.CSS_SELECTOR, ".ib")],
            )
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError("the page kept re-rendering")


def _command(page: Page, i: int, *candidates: str) -> str:
    names = page.command_names(i)
    for c in candidates:
        for n in names:
            if c in n:
                return n
    pytest.fail(f"no command like {candidates} in {names}")


def test_story_2_report_reaches_worker_who_taps_seen(reports_on, page: Page, tmp_path):
    resident, worker = 0, 2  # Fatima (ar), Sofie
    worker_before = page.count(worker)
    page.send(resident, _command(page, resident, "report", "melding"))
    page.wait_new(resident, page.count(resident) - 1)
    page.press(resident, "🏠")  # Housing
    # The place right after the category, then (send my own) past the similar reports.
    _walk(page, resident, ["Rabot", "➡️"], [], until=lambda: "🎤" in page.last_text(resident))
    voice = tmp_path / "note.ogg"
    voice.write_bytes(b"OggS\x00\x02" + b"\x00" * 58)
    n = page.count(resident)
    page.upload(resident, "voice", voice)  # what is wrong, as a voice note
    page.wait(lambda: page.count(resident) > n, what="the bot to ask for photos")
    n = page.count(resident)
    page.upload(resident, "photo", _png(tmp_path / "mould.png"))
    page.wait(lambda: page.count(resident) > n, what="the bot to take the photo")
    # Done with photos, name yes, quote yes, confirm.
    _walk(page, resident, ["✅"], [], until=lambda: page.count(worker) > worker_before)
    page.wait(lambda: "R-2026-" in page.last_text(resident), what="the reference number")
    # Sofie's phone has it at once, with buttons; she taps Seen and Fatima is told.
    page.wait(
        lambda: any(
            "👀" in b.text for b in page.phone(worker).find_elements(By.CSS_SELECTOR, ".ib")
        ),
        what="the report card with its buttons",
    )
    told = page.count(resident)
    page.press(worker, "👀", "Gezien", "Seen")
    page.wait_new(resident, told, "the resident to be told")


def test_story_6_meeting_rsvp_and_reminder(meetings_on, page: Page):
    organiser, fatima, mehmet = 1, 0, 3
    page.choose(mehmet, MEHMET)
    before = {fatima: page.count(fatima), mehmet: page.count(mehmet)}
    page.send(organiser, _command(page, organiser, "newmeeting"))
    page.wait_new(organiser, page.count(organiser) - 1)
    # Title, a typed date and time, once, place, no agenda, no limit, publish.
    _walk(
        page,
        organiser,
        ["Eén keer", "Overslaan", "Geen limiet", "✅"],
        ["Huurdersvergadering", "3/3/2026 19:00", "Buurthuis Rabot"],
        until=lambda: page.count(fatima) > before[fatima] and page.count(mehmet) > before[mehmet],
    )
    # Both residents answer with the RSVP buttons.
    for phone in (fatima, mehmet):
        page.press(phone, "✅", "👍")
    answered = {p: page.count(p) for p in (fatima, mehmet)}
    # Time passes until the reminder arrives (the day before / two hours before).
    for _ in range(48):
        if page.count(fatima) > answered[fatima] and page.count(mehmet) > answered[mehmet]:
            break
        page.move_clock("hour")
    assert page.count(fatima) > answered[fatima], "Fatima got no reminder"
    assert page.count(mehmet) > answered[mehmet], "Mehmet got no reminder"


# ---------------------------------------------------------------------- stories 7 and 10


def _then(page: Page, i: int, do: Callable[[], Any], what: str) -> None:
    """Do one step of a conversation on phone ``i`` and wait until the bot has answered it
    (a new bubble, or the last one edited)."""
    before = _snapshot(page, i)[:2]
    do()
    page.wait(lambda: _snapshot(page, i)[:2] != before, what=what)


def _bubble_with(page: Page, i: int, *parts: str) -> str:
    """The newest bot bubble on phone ``i`` holding all of ``parts`` ('' if none)."""
    return next((t for t in reversed(page.texts(i)) if all(p in t for p in parts)), "")


def test_story_7_action_call_answers_and_live_view(actions_on, page: Page):
    organiser, fatima, mehmet = 1, 0, 3
    page.choose(mehmet, MEHMET)
    before = {fatima: page.count(fatima), mehmet: page.count(mehmet)}
    what = "Spandoekactie stadhuis"
    _then(
        page, organiser, lambda: page.send(organiser, _command(page, organiser, "action")), "what?"
    )
    for text in (
        what,
        "10/03 19:00",
        "Stadhuis, Botermarkt 1",
        "Het woonplan komt in de gemeenteraad.",
        "Een spandoek",
    ):
        _then(
            page, organiser, lambda t=text: page.send(organiser, t), f"the question after {text!r}"
        )
    _then(page, organiser, lambda: page.press(organiser, "➕"), "the task's name")
    _then(page, organiser, lambda: page.send(organiser, "spandoek vasthouden"), "how many")
    for label in ("3", "➡️", "Huurders Rabot", "👀"):
        _then(page, organiser, lambda x=label: page.press(organiser, x), f"the step after {label}")
    page.wait(lambda: any("📣" in b.text for b in page.buttons(organiser)), what="the send button")
    page.press(organiser, "📣")
    # The call reaches both residents' phones, in their language, with the answer buttons.
    for phone in (fatima, mehmet):
        page.wait(
            lambda p=phone: page.count(p) > before[p] and what in page.last_text(p), what="the call"
        )
    assert "متى" in page.last_text(fatima)  # "When", in Arabic
    page.press(fatima, "✅")
    page.press(mehmet, "🙋")  # "I'll do it: spandoek vasthouden"
    # Jan's live view (one message, edited in place) counts both answers and the task.
    page.wait(
        lambda: "Komen: 2" in _bubble_with(page, organiser, what, "Komen"),
        timeout=15,
        what="the live view to count two people coming",
    )
    assert "spandoek vasthouden: 1 van 3" in _bubble_with(page, organiser, what, "Komen")

    # Their own phones show their answer on the call.
    def answer_line() -> str:
        return (
            page.bubbles(mehmet)[-1]
            .find_element(By.CSS_SELECTOR, ".text")
            .text.strip()
            .split("\n")[-1]
        )

    # The task's name in Turkish: the playground runs the translation double (issue 15).
    page.wait(lambda: "pankart tutmak" in answer_line(), what="Mehmet's answer on his call")


def test_story_10_volunteer_steps_back_another_takes_over(rosters_on, page: Page):
    organiser, ahmed, lies = 1, 0, 3
    page.choose(ahmed, AHMED)
    page.choose(lies, LIES)
    jan_before, lies_before = page.count(organiser), page.count(lies)
    # Ahmed (Arabic) opens his shifts and steps back from one, giving a reason with one tap.
    _then(page, ahmed, lambda: page.send(ahmed, _command(page, ahmed, "shifts")), "his shifts")
    _then(page, ahmed, lambda: page.press(ahmed, "↩️"), "why he can't come")
    _then(page, ahmed, lambda: page.press(ahmed, "🤒"), "the confirmation")
    # Lies, free that Saturday, is asked on her phone and takes it over.
    page.wait(
        lambda: page.count(lies) > lies_before and "Wie kan" in page.last_text(lies),
        what="Lies to be asked to take over",
    )
    _then(page, lies, lambda: page.press(lies, "✋"), "her thanks")
    assert (
        "overneemt" in page.last_text(lies)
        or "neemt" in page.last_text(lies)
        or "✅" in page.last_text(lies)
    )
    # Jan's phone is told who stepped back and who took over.
    page.wait(
        lambda: (
            page.count(organiser) > jan_before
            and "Lies" in page.last_text(organiser)
            and "Ahmed" in page.last_text(organiser)
        ),
        what="Jan to be told",
    )


# ---------------------------------------------------------------------- the page itself


def _label(page: Page, css: str) -> str:
    return str(page.d.find_element(By.CSS_SELECTOR, css).text)


def test_page_speaks_dutch_french_and_english(playground, browser):
    _post(playground + "api/reset", {})
    browser.get(playground + "static/index.html")  # same origin: forget an earlier choice
    browser.execute_script("localStorage.clear()")
    # A Flemish browser (nl-BE) gets the page in Dutch without asking.
    agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "nl-BE,nl,en"}
    )
    try:
        page = _open(browser, playground)
        assert browser.execute_script("return navigator.language") == "nl-BE"
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
        assert _label(page, "#clock-hour") == "+1 uur"
        assert page.clock() == "ma 02 mrt 2026, 09:00"
        assert (
            "opbouwwerker"
            in Select(
                page.phone(2).find_element(By.CSS_SELECTOR, "select.who")
            ).first_selected_option.text
        )
        assert (
            page.phone(0)
            .find_element(By.CSS_SELECTOR, ".composer .text")
            .get_attribute("placeholder")
            == "Bericht"
        )

        # French, then English, with one tap each; what the bot said is not touched.
        def said() -> list[str]:  # the messages' words, without the (translated) time stamps
            return [e.text for e in page.phone(0).find_elements(By.CSS_SELECTOR, ".msg .text")]

        fatima_before = said()
        page.d.find_element(By.ID, "lang-fr").click()
        page.wait(lambda: _label(page, "#clock-hour") == "+1 heure", what="French labels")
        assert page.d.title == "Bac à sable Buurtbot"
        assert page.clock().startswith("lun. 02 mars 2026")
        page.phone(0).find_element(By.CSS_SELECTOR, ".composer .attach").click()
        assert "Scanner une affiche QR" in page.phone(0).find_element(By.CSS_SELECTOR, ".menu").text
        page.phone(0).find_element(By.CSS_SELECTOR, ".composer .attach").click()
        page.d.find_element(By.ID, "lang-en").click()
        page.wait(lambda: _label(page, "#clock-hour") == "+1 hour", what="English labels")
        assert page.clock() == "Mon 02 Mar 2026, 09:00"
        assert page.d.find_element(By.ID, "lang-en").get_attribute("aria-pressed") == "true"
        page.wait(lambda: said() == fatima_before, what="the same chat")

        # The choice is remembered on this computer, over the browser's language.
        page = _open(browser, playground)
        assert _label(page, "#add-phone") == "+ phone"
    finally:
        browser.execute_cdp_cmd(
            "Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "en-US,en"}
        )
        browser.execute_script("localStorage.clear()")


GUIDE_STORIES = ("1 ·", "2 ·", "3 ·", "5 ·", "6 ·", "7 ·", "10 ·")


def test_guide_lists_the_stories_in_each_language(page: Page):
    body = page.d.find_element(By.TAG_NAME, "body").text
    assert "Features on" not in body and "features" not in body.lower()
    for lang, first, digest in (
        ("en", "Fatima reports mould", "to next 08:30"),
        ("nl", "Fatima meldt schimmel", "naar volgende 08:30"),
        ("fr", "Fatima signale de la moisissure", "au prochain 08:30"),
    ):
        page.d.find_element(By.ID, f"lang-{lang}").click()
        chips = page.d.find_elements(By.CSS_SELECTOR, "#guide .story")
        titles = [c.text for c in chips]
        assert [x.split()[0] + " ·" for x in titles] == list(GUIDE_STORIES), titles
        assert any(first in x for x in titles)
        # Each chip shows its story's steps; story 5 points at the clock button by its label.
        chips[3].click()  # the chips are drawn again: find them again after a tap
        steps = _label(page, "#guide-steps")
        assert digest in steps and digest == _label(page, "#clock-0830")
        page.d.find_elements(By.CSS_SELECTOR, "#guide .story")[1].click()
        assert "R-2026" in _label(page, "#guide-steps")
        chosen = page.d.find_elements(By.CSS_SELECTOR, "#guide .story")[1]
        assert chosen.get_attribute("aria-pressed") == "true"
    page.d.find_element(By.ID, "lang-en").click()


def test_four_phones_fit_a_1366x768_laptop(page: Page):
    size = page.d.get_window_size()
    page.d.set_window_size(1366, 768)
    try:
        for lang in ("nl", "fr", "en"):  # French has the longest labels
            page.d.find_element(By.ID, f"lang-{lang}").click()
            page.wait(
                lambda x=lang: page.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == x
            )
            boxes = page.d.execute_script(
                """return {w: innerWidth, h: innerHeight, phones: [...document.querySelectorAll(
                '.phone')].map((p) => p.getBoundingClientRect().toJSON()),
                guide: document.getElementById('guide').getBoundingClientRect().toJSON()}"""
            )
            assert len(boxes["phones"]) == 4
            for i, r in enumerate(boxes["phones"]):
                assert r["left"] >= 0 and r["top"] >= 0, (lang, i, r)
                assert r["right"] <= boxes["w"] and r["bottom"] <= boxes["h"], (lang, i, r, boxes)
                assert r["width"] >= 270 and r["height"] >= 380, (lang, i, r)
            assert boxes["guide"]["bottom"] <= boxes["phones"][0]["top"]
    finally:
        page.d.set_window_size(size["width"], size["height"])
        page.d.find_element(By.ID, "lang-en").click()


def test_chat_follows_the_bots_answer_after_a_photo(page: Page, tmp_path):
    chat = page.phone(0).find_element(By.CSS_SELECTOR, ".chat")

    def gap() -> float:
        return float(
            page.d.execute_script(
                "const c = arguments[0]; return c.scrollHeight - c.scrollTop - c.clientHeight", chat
            )
        )

    assert page.d.execute_script("return arguments[0].scrollHeight", chat) > chat.size["height"]
    mine, bots = page.count(0, "me"), page.count(0)
    page.upload(0, "photo", _png(tmp_path / "mould.png", 300))
    page.wait(lambda: page.count(0, "me") == mine + 1 and page.count(0) > bots, what="the answer")
    img = page.bubbles(0, "me")[-1].find_element(By.CSS_SELECTOR, "img")
    page.wait(
        lambda: (
            page.d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img)
            == 300
        ),
        what="the photo to load",
    )
    # The photo grew the chat after it scrolled: it still shows the bot's answer at the bottom.
    page.wait(lambda: gap() < 2, what="the chat to be scrolled to the end")
    last = page.bubbles(0)[-1]
    inside = page.d.execute_script(
        """const b = arguments[0].getBoundingClientRect(), c = arguments[1].getBoundingClientRect();
        return b.bottom <= c.bottom + 1 && b.bottom > c.top""",
        last,
        chat,
    )
    assert inside, "the bot's answer is not in view"
