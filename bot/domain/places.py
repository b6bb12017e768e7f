"""Where a report is: the neighbourhood of a pin, and the boundaries admins give neighbourhoods.

A pin belongs to the neighbourhood whose boundary holds it; else to the nearest neighbourhood
centre within REPORT_NEAREST_KM; else the resident picks one. Point-in-polygon is shapely's
(GEOS): holes, MultiPolygons and points on an edge are handled as GIS tools handle them, which a
hand-written ray cast gets wrong at the edges."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from bot.core.settings import Settings
from bot.domain.reports import distance_m
from storage.repos.projects import Neighbourhood, ProjectsRepo

# What GeoJSON may describe an area: a geometry, or a Feature / FeatureCollection holding one.
AREA_TYPES = ("Polygon", "MultiPolygon")
# A boundary file an admin sends is small (a city's neighbourhoods are a few hundred KB at most).
BOUNDARY_MAX_BYTES = 2_000_000


class BoundaryError(ValueError):
    """A GeoJSON text that is no usable area; the message says why, for an operator."""


@dataclass(frozen=True)
class Placement:
    hood_id: int | None  # None: the resident picks
    how: str  # 'boundary', 'centre', or 'none'
    far: bool = False  # further than REPORT_AREA_KM from every neighbourhood of the project


def _geometry(obj: Any, name: str | None) -> dict[str, Any]:
    """The Polygon/MultiPolygon in a GeoJSON object (a FeatureCollection: the feature whose
    ``name`` property is ``name``, or its only feature)."""
    if not isinstance(obj, dict):
        raise BoundaryError("not a GeoJSON object")
    kind = obj.get("type")
    if kind in AREA_TYPES:
        return obj
    if kind == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in AREA_TYPES:
            raise BoundaryError("the feature's geometry is not a Polygon or MultiPolygon")
        return geometry
    if kind == "FeatureCollection":
        features = [f for f in obj.get("features") or [] if isinstance(f, dict)]
        if name is not None:
            named = [
                f
                for f in features
                if str((f.get("properties") or {}).get("name", "")).casefold() == name.casefold()
            ]
            if named:
                return _geometry(named[0], None)
            if len(features) != 1:
                raise BoundaryError(f"no feature has the property name = {name!r}")
        if len(features) != 1:
            raise BoundaryError("a FeatureCollection of several features needs a name")
        return _geometry(features[0], None)
    raise BoundaryError(f"type {kind!r} is not a Polygon, MultiPolygon, Feature or collection")


def parse_boundary(text: str | bytes, name: str | None = None) -> str:
    """GeoJSON text -> the area's geometry as compact GeoJSON text (what is stored). Raises
    BoundaryError when it is not an area, has no surface, or lies outside lon/lat ranges."""
    if len(text) > BOUNDARY_MAX_BYTES:
        raise BoundaryError("the file is too large")
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BoundaryError(f"not JSON ({exc})") from None
    geometry = _geometry(obj, name)
    try:
        area = shape(geometry)
    except Exception as exc:  # shapely raises several kinds for malformed coordinates
        raise BoundaryError(f"the coordinates do not form an area ({exc})") from None
    if area.is_empty or area.area == 0:
        raise BoundaryError("the area is empty")
    minx, miny, maxx, maxy = area.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError("the coordinates are not longitude/latitude (WGS84)")
    return json.dumps(geometry, separators=(",", ":"))


def centroid(geometry: str) -> tuple[float, float]:
    """(lat, lon) of a stored boundary's centre: a centre for a neighbourhood that has none."""
    point = shape(json.loads(geometry)).representative_point()
    return point.y, point.x


class Places:
    """Finds a pin's neighbourhood. Parsed boundaries are kept per (neighbourhood, text), so a
    boundary changed by `buurtbot setup` while the bot runs is read again."""

    def __init__(self, projects: ProjectsRepo, settings: Settings) -> None:
        self.projects, self.settings = projects, settings
        self._prepared: dict[int, tuple[str, PreparedGeometry | None]] = {}

    def _area(self, hood: Neighbourhood) -> PreparedGeometry | None:
        if not hood.boundary:
            return None
        cached = self._prepared.get(hood.id)
        if cached is not None and cached[0] == hood.boundary:
            return cached[1]
        try:
            geometry: BaseGeometry | None = shape(json.loads(hood.boundary))
        except Exception:  # stored by an older check or edited by hand: ignore, never crash
            geometry = None
        prepared = prep(geometry) if geometry is not None and geometry.is_valid else None
        if geometry is not None and prepared is None:
            prepared = prep(geometry.buffer(0))  # a self-touching ring: its repaired area
        self._prepared[hood.id] = (hood.boundary, prepared)
        return prepared

    async def locate(self, project_id: int, lat: float, lon: float) -> Placement:
        hoods = await self.projects.neighbourhoods(project_id)
        point = Point(lon, lat)  # GeoJSON order: longitude first
        for hood in hoods:
            area = self._area(hood)
            if area is not None and area.covers(point):
                return Placement(hood.id, "boundary")
        centred = [h for h in hoods if h.lat is not None and h.lon is not None]
        if not centred:
            return Placement(None, "none")
        best = min(centred, key=lambda h: distance_m(lat, lon, h.lat, h.lon))  # type: ignore[arg-type]
        d = distance_m(lat, lon, best.lat, best.lon)  # type: ignore[arg-type]
        if d <= self.settings.report_nearest_km * 1000:
            return Placement(best.id, "centre")
        return Placement(None, "none", far=d > self.settings.report_area_km * 1000)
