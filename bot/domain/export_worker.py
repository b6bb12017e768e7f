"""The child process an export runs in: ``python -m bot.domain.export_child`` reads one job
(JSON) on stdin and writes a JSON header line, then the files' bytes, on stdout. This module
holds both ends of that pipe. A job is a project export (CSV, workbook, HTML dossier) or the
institute's sector dossier (HTML, workbook): ``kind`` says which.

Why a process and not a thread: rendering 100,000 rows is pure Python, so a thread holds the GIL
and the bot's event loop waits whenever the thread is running (on a loaded machine: 90-360 ms
at a time, measured in bench/export_lag.py). A process keeps matplotlib and openpyxl (~50 MB)
out of the bot's memory. Only what the export needs crosses: the database path, the filter, the
zone, the language, what is printed on the dossier — never a token or settings.

A fresh process costs 0.4-0.9 s before it renders anything (Python, pydantic, Babel's catalogues,
matplotlib for the charts). So each export, once made, starts a *spare*: a child that imports all
that and then waits on stdin; the next export hands its job to the spare instead of starting cold.
A spare does one job and exits (no state carries from one export to the next); it is ended
after ``SPARE_IDLE`` seconds without a job, and one that died meanwhile (killed, out of memory)
is noticed when it is taken — that export then starts a fresh child. ``prestart()`` starts one
ahead (e.g. when someone opens the export menu); ``shutdown()`` ends it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage.repos.exports import ExportFilter

# The directory holding the `bot` package, so the child imports this same code.
_ROOT = Path(__file__).resolve().parents[2]


# At most this many export processes at once (each may take ~200 MB for 100,000 reports); a
# further request waits its turn, its "Making the export…" message stays until it is made.
MAX_CHILDREN = 2
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
_running = {"now": 0, "peak": 0}  # read by tests/test_export_offloop.py


def _slot() -> asyncio.Semaphore:
    # One semaphore per event loop (a semaphore is bound to the loop it is first used on).
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(MAX_CHILDREN)
    return _slots[loop]


class ExportFailed(RuntimeError):
    pass


READY = b"ready\n"  # the child's first line: imported, waiting for its job
SPARE_IDLE = 600.0  # seconds a spare waits for a job before it is ended (it holds ~100 MB)
SPARE_READY_WAIT = 20.0  # seconds an export waits for a spare still importing (~1 s normally)


@dataclass
class _Spare:
    start: asyncio.Future[asyncio.subprocess.Process]
    ready: asyncio.Task[bool]  # True once it said READY; False: it died first
    key: tuple[str, str]  # (zone, language) it loaded
    timer: asyncio.TimerHandle | None = None


async def _said_ready(start: asyncio.Future[asyncio.subprocess.Process]) -> bool:
    try:
        proc = await start
    except Exception:  # could not even start: a fresh child will say why
        return False
    assert proc.stdout is not None
    if await proc.stdout.readline() == READY:
        return True
    await _end(proc)
    return False


_spares: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Spare] = weakref.WeakKeyDictionary()
_stats = {"warm": 0, "cold": 0}  # exports handed to a spare / to a fresh child (tests, bench)


def _ids(values: tuple[Any, ...] | None) -> list[Any] | None:
    return None if values is None else list(values)


def _tuple(values: list[Any] | None) -> tuple[Any, ...] | None:
    return None if values is None else tuple(values)


def encode_filter(f: ExportFilter) -> dict[str, Any]:
    return {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "projects": _ids(f.project_ids),
        "categories": _ids(f.categories),
        "hoods": _ids(f.neighbourhood_ids),
    }


def decode_filter(job: dict[str, Any]) -> ExportFilter:
    return ExportFilter(
        datetime.fromisoformat(job["start"]),
        datetime.fromisoformat(job["end"]),
        _tuple(job["projects"]),
        _tuple(job["categories"]),
        _tuple(job["hoods"]),
    )


def encode_job(
    db_path: Path | str, tz: ZoneInfo, lang: str, job: dict[str, Any], formats: tuple[str, ...]
) -> bytes:
    return json.dumps(
        {
            **job,
            "db": str(Path(db_path).resolve()),
            "tz": tz.key,
            "lang": lang,
            "formats": list(formats),
        }
    ).encode("utf-8")


def decode_job(raw: bytes) -> dict[str, Any]:
    job = json.loads(raw)
    job["tz"] = ZoneInfo(job["tz"])
    job["formats"] = tuple(job["formats"])
    return job


def write_result(rows: int, files: dict[str, bytes | None]) -> None:
    """Header line: rows and each file's length (None: not made); then the files in that order."""
    out = sys.stdout.buffer
    header = {"rows": rows, "files": [[k, None if v is None else len(v)] for k, v in files.items()]}
    out.write(json.dumps(header).encode("utf-8") + b"\n")
    for body in files.values():
        out.write(body or b"")
    out.flush()


async def run_in_child(
    db_path: Path | str,
    tz: ZoneInfo,
    lang: str,
    job: dict[str, Any],
    formats: tuple[str, ...],
) -> tuple[int, dict[str, bytes]]:
    """(rows, {format: bytes}) made by ``python -m bot.domain.export_child`` in a child process,
    at most ``MAX_CHILDREN`` at once."""
    async with _slot():
        _running["now"] += 1
        _running["peak"] = max(_running["peak"], _running["now"])
        try:
            return await _run_child(db_path, tz, lang, job, formats)
        finally:
            _running["now"] -= 1


def _child_env() -> dict[str, str]:
    # The export needs no token or secret: the child does not get them.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "TELEGRAM_", "WEBHOOK_"))
        and "TOKEN" not in k.upper()
        and "SECRET" not in k.upper()
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    return env


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.domain.export_child",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_env(),
    )


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


def _retire(loop: asyncio.AbstractEventLoop, spare: _Spare) -> None:
    """End a spare nobody took (its memory goes back)."""
    if _spares.get(loop) is spare:
        del _spares[loop]
    if spare.timer is not None:
        spare.timer.cancel()

    async def end() -> None:
        try:
            await _end(await spare.start)
        except Exception:  # it never started: nothing to end
            return

    _background.add(task := loop.create_task(end()))
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()


def _alive(spare: _Spare) -> bool:
    """False once the spare is known to be gone (it died importing or waiting)."""
    ready, start = spare.ready, spare.start
    if ready.done() and (ready.cancelled() or ready.exception() or not ready.result()):
        return False
    if start.done():
        if start.cancelled() or start.exception() is not None:
            return False
        return start.result().returncode is None
    return True


def _have(loop: asyncio.AbstractEventLoop, key: tuple[str, str]) -> bool:
    """True when a live spare for ``key`` is there (its idle time starts again); a dead one or
    one for another zone or language is ended."""
    current = _spares.get(loop)
    if current is None:
        return False
    if current.key == key and _alive(current):
        if current.timer is not None:
            current.timer.cancel()
        current.timer = loop.call_later(SPARE_IDLE, _retire, loop, current)
        return True
    _retire(loop, current)
    return False


def _keep(
    loop: asyncio.AbstractEventLoop,
    key: tuple[str, str],
    start: asyncio.Future[asyncio.subprocess.Process],
) -> None:
    spare = _Spare(start, loop.create_task(_said_ready(start)), key)
    spare.timer = loop.call_later(SPARE_IDLE, _retire, loop, spare)
    _spares[loop] = spare


def prestart(tz: ZoneInfo, lang: str) -> None:
    """Have a spare child ready for the next export (no-op when there is one), e.g. when
    someone opens the export menu. Never blocks: the child imports in its own process."""
    loop = asyncio.get_running_loop()
    key = (tz.key, lang)
    if not _have(loop, key):
        _keep(loop, key, loop.create_task(_spawn("--warm", *key)))


async def _restock(tz: ZoneInfo, lang: str) -> None:
    """``prestart`` after an export, the process started before this returns (no task left
    half-way through starting a process when the loop stops)."""
    loop = asyncio.get_running_loop()
    key = (tz.key, lang)
    if _have(loop, key):
        return
    proc = await _spawn("--warm", *key)
    if _have(loop, key):  # another export made one meanwhile
        await _end(proc)
        return
    start: asyncio.Future[asyncio.subprocess.Process] = loop.create_future()
    start.set_result(proc)
    _keep(loop, key, start)


async def shutdown() -> None:
    """End the spare (the bot stops). A spare also ends by itself when the bot's process does:
    its stdin closes."""
    loop = asyncio.get_running_loop()
    spare = _spares.get(loop)
    if spare is not None:
        _retire(loop, spare)
    if _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


async def _take_spare(heavy: bool) -> asyncio.subprocess.Process | None:
    """The spare, if it is alive and ready; None when there is none or it died (killed, out of
    memory). A spare still importing: a ``heavy`` job (a dossier or a workbook, which needs
    matplotlib or openpyxl too) waits for it — it started earlier, so it is ready sooner than a
    fresh child would be; a CSV alone leaves it for the next export and starts fresh (a child
    that imports only what a CSV needs is quicker)."""
    loop = asyncio.get_running_loop()
    spare = _spares.get(loop)
    if spare is None or not (heavy or spare.ready.done()):
        return None
    del _spares[loop]
    if spare.timer is not None:
        spare.timer.cancel()
    try:
        ready = await asyncio.wait_for(asyncio.shield(spare.ready), SPARE_READY_WAIT)
    except TimeoutError:  # stuck importing (a hung disk): not worth waiting for any longer
        _retire(loop, spare)
        return None
    except asyncio.CancelledError:
        _retire(loop, spare)
        raise
    except Exception:
        return None
    if not ready:
        return None
    proc = spare.start.result()
    # Died after it said ready: the child watcher has seen it go.
    return proc if proc.returncode is None else None


async def _hand(proc: asyncio.subprocess.Process, job: bytes) -> tuple[bytes, bytes, int | None]:
    """Give ``proc`` its job; (stdout, stderr, exit code) once it is done."""
    try:
        out, err = await proc.communicate(job)
    except BaseException:
        # Cancelled (the bot stops): the child goes too.
        await _end(proc)
        raise
    return out, err, proc.returncode


async def _run_child(
    db_path: Path | str,
    tz: ZoneInfo,
    lang: str,
    job: dict[str, Any],
    formats: tuple[str, ...],
) -> tuple[int, dict[str, bytes]]:
    spare = await _take_spare(heavy=job.get("kind") == "sector" or formats != ("csv",))
    raw_job = encode_job(db_path, tz, lang, job, formats)
    out, err, code, skip = b"", b"", None, 0
    if spare is not None:
        out, err, code = await _hand(spare, raw_job)
        if code is not None and code < 0 and not out and not err:
            # Killed before it took the job (just now, unseen): nothing was made, start fresh.
            spare = None
    if spare is None:
        _stats["cold"] += 1
        out, err, code = await _hand(await _spawn(), raw_job)
        skip = len(READY) if out.startswith(READY) else 0
    else:
        _stats["warm"] += 1
    # The next export's spare starts once this one is made: its imports (~1 s of CPU) do not
    # slow down the export someone is waiting for.
    await _restock(tz, lang)
    if code != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExportFailed(f"export process exited with {code}: {tail[0]}")
    # The files are cut out of the child's output once each (no copy of the whole output in
    # between: with 100,000 reports the three files are ~19 MB, and the bot's memory counts).
    end = out.index(b"\n", skip)
    header = json.loads(out[skip:end])
    files: dict[str, bytes] = {}
    at = end + 1
    with memoryview(out) as view:
        for name, length in header["files"]:
            if length is not None:
                files[name] = bytes(view[at : at + length])
                at += length
    return header["rows"], files
