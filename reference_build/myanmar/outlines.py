"""Township and state/region outlines: MIMU 2014 TopoJSON decoded into compact GeoJSON.

TopoJSON stores each shared border once as an "arc" of integer offsets; a polygon ring is a
list of arc indices (a negative index `~i` walks arc `i` backwards). Decoding is a few lines
of numpy. The files are quantised to a grid of about 0.0009 degrees of longitude by 0.0019
of latitude (100-200 m), so:

* arcs are simplified (Douglas-Peucker) to a tolerance of the same order before they are
  stitched: a border shared by two townships is simplified once, so neighbours still meet
  without gaps or overlaps;
* the quantisation makes about 130 of the 330 source townships self-intersect; shapely
  repairs them and snaps them to a 4-decimal grid (about 11 m), which keeps them valid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

BOUNDARY_DIR = "boundaries"
TOWNSHIP_FILE = "mmr_townships_mimu_2014.topojson"
STATE_REGION_FILE = "mmr_states_regions_mimu_2014.topojson"
OUTLINE_SOURCE = "mimu_boundaries_2014"
DECIMALS = 4
GRID = 10.0**-DECIMALS
# Degrees; about 100 m for townships (the source grid) and 200 m for the map-only states.
TOLERANCE = {"townships.geojson": 0.001, "states_regions.geojson": 0.002}


def decoded_arcs(topology: dict, tolerance: float = 0.0) -> list[np.ndarray]:
    """Every arc of a topology as an (n, 2) array of longitude/latitude, simplified.

    Arcs of a quantised topology are delta-encoded integers: the running sum gives grid
    positions, which the transform scales and shifts into degrees. Simplification keeps
    each arc's end points, where it meets the other arcs of its rings.
    """
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points = np.asarray(arc, dtype=float)[:, :2]
        if transform is not None:
            points = np.cumsum(points, axis=0) * transform["scale"] + transform["translate"]
        if tolerance > 0 and len(points) > 2:
            line = shapely.simplify(shapely.linestrings(points), tolerance, preserve_topology=True)
            points = shapely.get_coordinates(line)
        arcs.append(points)
    return arcs


def ring(arc_indices: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    """One closed ring stitched from its arcs (each arc's first point repeats the last one)."""
    pieces = []
    for position, index in enumerate(arc_indices):
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        pieces.append(points if position == 0 else points[1:])
    stitched = np.concatenate(pieces)
    if not np.array_equal(stitched[0], stitched[-1]):
        stitched = np.vstack([stitched, stitched[:1]])
    return stitched


def polygonal(geometry: dict, arcs: list[np.ndarray]) -> shapely.Geometry | None:
    """A TopoJSON Polygon/MultiPolygon as a valid shapely geometry on the 4-decimal grid."""
    polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
    parts = [
        shapely.Polygon(ring(rings[0], arcs), [ring(hole, arcs) for hole in rings[1:]])
        for rings in polygons
        if len(ring(rings[0], arcs)) >= 4
    ]
    if not parts:
        return None
    shape = shapely.make_valid(
        shapely.MultiPolygon(parts), method="structure", keep_collapsed=False
    )
    shape = shapely.set_precision(shape, GRID)
    return None if shape.is_empty else shape


def geojson_geometry(shape: shapely.Geometry) -> dict:
    """A polygonal shape as a GeoJSON MultiPolygon with rounded coordinates."""
    parts = shape.geoms if shape.geom_type == "MultiPolygon" else [shape]
    return {
        "type": "MultiPolygon",
        "coordinates": [
            [_rounded(part.exterior), *(_rounded(hole) for hole in part.interiors)]
            for part in parts
        ],
    }


def _rounded(line: shapely.LinearRing) -> list[list[float]]:
    return np.round(shapely.get_coordinates(line), DECIMALS).tolist()


def township_properties(props: dict) -> dict:
    """The township fields we ship; `Label2` is an election-era figure, never the census."""
    return {
        "pcode": props["TS_PCODE"],
        "name": props["TS"],
        "name_mm": props.get("Myanmar3"),
        "state_region_pcode": props["ST_PCODE"],
        "district_pcode": props["DT_PCODE"],
        "area_km2": round(float(props["Area"]), 2) if props.get("Area") is not None else None,
        "source": OUTLINE_SOURCE,
    }


def state_region_properties(props: dict) -> dict:
    """The state/region fields we ship (Shan is one unit, as in MIMU's 2014 outlines)."""
    return {
        "pcode": props["ST_PCODE"],
        "name": props["ST"],
        "name_mm": props.get("name"),
        "source": OUTLINE_SOURCE,
    }


def feature_collection(
    topology: dict, properties: Callable[[dict], dict], tolerance: float
) -> dict:
    """All geometries of the topology's single object as a FeatureCollection sorted by P-code."""
    (collection,) = topology["objects"].values()
    arcs = decoded_arcs(topology, tolerance)
    features = []
    for geometry in collection["geometries"]:
        shape = polygonal(geometry, arcs)
        if shape is not None:
            features.append(
                {
                    "type": "Feature",
                    "properties": properties(geometry["properties"]),
                    "geometry": geojson_geometry(shape),
                }
            )
    features.sort(key=lambda feature: feature["properties"]["pcode"])
    return {"type": "FeatureCollection", "features": features}


def geojson_text(collection: dict) -> str:
    """Compact, deterministic GeoJSON: one feature per line, no spaces."""
    lines = [
        json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in collection["features"]
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def build_outlines(sources: Path) -> dict[str, str]:
    """The outline files of the package, name -> GeoJSON text.

    Args:
        sources: the folder of public sources (holding `boundaries/`).
    """
    folder = sources / BOUNDARY_DIR
    plan = {
        "townships.geojson": (TOWNSHIP_FILE, township_properties),
        "states_regions.geojson": (STATE_REGION_FILE, state_region_properties),
    }
    outlines = {}
    for name, (file, properties) in plan.items():
        topology = json.loads((folder / file).read_text(encoding="utf-8"))
        outlines[name] = geojson_text(feature_collection(topology, properties, TOLERANCE[name]))
    return outlines
