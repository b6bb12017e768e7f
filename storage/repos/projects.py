"""Projects, their neighbourhoods and their workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.repos import row_to
from storage.timestamps import to_db


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    created_by: int | None
    default_worker_id: int | None
    created_at: str
    hidden: int = 0  # removed from the set-up file: kept for its reports


@dataclass(frozen=True)
class Neighbourhood:
    id: int
    project_id: int
    name: str
    lat: float | None
    lon: float | None
    # GeoJSON geometry (Polygon or MultiPolygon) as text; a pin inside it belongs here.
    boundary: str | None = None
    hidden: int = 0  # removed from the set-up file: old reports keep it, nobody picks it


class ProjectsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        name: str,
        neighbourhoods: list[str],
        created_by: int | None,
        now: datetime,
    ) -> Project:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO projects (name, created_by, created_at) VALUES (?, ?, ?)",
                (name, created_by, to_db(now)),
            )
            project_id = cur.lastrowid
            await conn.executemany(
                "INSERT OR IGNORE INTO neighbourhoods (project_id, name) VALUES (?, ?)",
                [(project_id, n) for n in neighbourhoods],
            )
            async with conn.execute("SELECT * FROM projects WHERE id = ?", (project_id,)) as c:
                row = await c.fetchone()
        return row_to(Project, row)

    async def get(self, project_id: int) -> Project | None:
        row = await self.db.fetchone("SELECT * FROM projects WHERE id = ?", (project_id,))
        return row_to(Project, row) if row else None

    async def all(self) -> list[Project]:
        rows = await self.db.fetchall(
            "SELECT * FROM projects WHERE NOT hidden ORDER BY name COLLATE NOCASE"
        )
        return [row_to(Project, r) for r in rows]

    async def neighbourhoods(self, project_id: int, hidden: bool = False) -> list[Neighbourhood]:
        """The project's neighbourhoods by name (``hidden=True``: also those removed from the
        set-up file, which old reports keep)."""
        rows = await self.db.fetchall(
            "SELECT * FROM neighbourhoods WHERE project_id = ?"
            + ("" if hidden else " AND NOT hidden")
            + " ORDER BY name COLLATE NOCASE",
            (project_id,),
        )
        return [row_to(Neighbourhood, r) for r in rows]

    async def add_names(self, project_id: int, names: list[str]) -> list[str]:
        """New neighbourhoods by name; a name that is there already (in any case) is left as it
        is (its centre and boundary stay), a hidden one is shown again. Returns the new ones."""
        added = []
        async with self.db.transaction() as conn:
            for name in names:
                async with conn.execute(
                    "SELECT id FROM neighbourhoods WHERE project_id = ?"
                    " AND name = ? COLLATE NOCASE",
                    (project_id, name),
                ) as cur:
                    row = await cur.fetchone()
                if row is not None:
                    await conn.execute(
                        "UPDATE neighbourhoods SET hidden = 0 WHERE id = ?", (row[0],)
                    )
                    continue
                await conn.execute(
                    "INSERT INTO neighbourhoods (project_id, name) VALUES (?, ?)",
                    (project_id, name),
                )
                added.append(name)
        return added

    async def set_centre(self, neighbourhood_id: int, lat: float, lon: float) -> None:
        await self.db.execute(
            "UPDATE neighbourhoods SET lat = ?, lon = ? WHERE id = ?", (lat, lon, neighbourhood_id)
        )

    async def set_boundary(self, neighbourhood_id: int, geometry: str | None) -> None:
        """``geometry``: a GeoJSON Polygon/MultiPolygon as text (checked by the caller)."""
        await self.db.execute(
            "UPDATE neighbourhoods SET boundary = ? WHERE id = ?", (geometry, neighbourhood_id)
        )

    async def neighbourhood(self, neighbourhood_id: int) -> Neighbourhood | None:
        row = await self.db.fetchone(
            "SELECT * FROM neighbourhoods WHERE id = ?", (neighbourhood_id,), per_update=True
        )
        return row_to(Neighbourhood, row) if row else None

    async def add_neighbourhood(
        self, project_id: int, name: str, lat: float | None = None, lon: float | None = None
    ) -> None:
        await self.db.execute(
            "INSERT INTO neighbourhoods (project_id, name, lat, lon) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (project_id, name) DO UPDATE SET lat = excluded.lat, lon = excluded.lon",
            (project_id, name, lat, lon),
        )

    async def projects_of_worker(self, user_id: int) -> list[Project]:
        rows = await self.db.fetchall(
            "SELECT p.* FROM projects p JOIN project_workers w ON w.project_id = p.id"
            " WHERE w.user_id = ? AND NOT p.hidden ORDER BY p.name COLLATE NOCASE",
            (user_id,),
        )
        return [row_to(Project, r) for r in rows]

    async def is_worker(self, project_id: int, user_id: int) -> bool:
        return (
            await self.db.fetchval(
                "SELECT 1 FROM project_workers WHERE project_id = ? AND user_id = ?",
                (project_id, user_id),
            )
            is not None
        )

    async def worker_ids(self, project_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM project_workers WHERE project_id = ? ORDER BY joined_at",
            (project_id,),
        )
        return [r[0] for r in rows]

    async def set_default_worker(self, project_id: int, user_id: int | None) -> None:
        await self.db.execute(
            "UPDATE projects SET default_worker_id = ? WHERE id = ?", (user_id, project_id)
        )
