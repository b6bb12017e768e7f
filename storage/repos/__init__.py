"""One repository per aggregate; each returns frozen dataclasses, never raw rows."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def row_to(cls: type[T], row: Any) -> T:
    """Build a dataclass from a sqlite row, taking the columns that match its fields."""
    keys = set(row.keys())
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in keys})  # type: ignore[arg-type]
