"""Files that hold personal data (the database, its WAL/SHM, backups, exports, .env): created
readable by their owner only (0600), in a directory of their own made 0700 when we create it.

The modes are set when the file is created (os.open with the mode, then fchmod, so neither the
umask nor an earlier copy leaves it 0644) — not with a chmod afterwards, which would leave a window
in which other local users can open it."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as 0700; an existing directory is left as it is
    (it may be a shared volume or /var/lib/buurtbot, set up by the operator)."""
    if path.exists():
        return
    private_dir(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600: created empty when missing; an existing file of
    ours that others could read (from before this rule) is tightened."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            os.chmod(path, FILE_MODE)
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) atomically: a reader sees the old or the new file."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fd, FILE_MODE)
        fh.write(data)
        fh.flush()
        os.fsync(fd)
    os.replace(tmp, path)
