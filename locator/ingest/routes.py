"""Generate the 12 illustrative "五邑乡村游" rural rest routes (DATA.md, issue 9).

The article says the federation and the culture/tourism and rural-revitalisation bureaus
developed 12 routes; their official stop lists are not public. These routes are therefore
illustrative: each joins real places in the order a coach trip could take them. A stop's
position is a published coordinate where ``site-coordinates.csv`` lists one (UNESCO file
1112, Wikipedia, GeoNames, with each row's source), else the seat of its town from
``towns.geojson``; every stop says which (``precision``, ``coord_source``). 小鸟天堂 has no
trustworthy public coordinate and is placed at the seat of 会城街道, marked approximate.
Segments are straight lines between stops (no road network is available offline).

Deterministic like the other sample layers: the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import shapely

from locator.stores.files.read import (
    DISTRICTS_FILE,
    TOWNS_FILE,
    read_features,
    write_feature_collection,
)
from locator.values import registry
from locator.values.models import SAMPLE_SOURCE
from locator.values.paths import DEFAULT_DATA_DIR

log = logging.getLogger(__name__)

SITES_FILE = "site-coordinates.csv"
GEOMETRY_NOTE = "straight lines between stops, not roads · 站点之间为直线,不是实际道路"


@dataclass(frozen=True)
class StopPlan:
    """One stop of a route plan: a row of site-coordinates.csv (``site``) or a town seat
    (``town``, 9-digit code); ``name`` overrides the displayed name."""

    site: str = ""
    town: str = ""
    name: str = ""
    name_en: str = ""
    description: str = ""
    approximate: bool = False


def _s(site: str, description: str) -> StopPlan:
    return StopPlan(site=site, description=description)


def _t(
    town: str, description: str, name: str = "", name_en: str = "", approximate: bool = False
) -> StopPlan:
    return StopPlan(
        town=town, name=name, name_en=name_en, description=description, approximate=approximate
    )


#: (id, name, name_en, theme, theme_en, stops); themes follow the article's resources
ROUTES: tuple[tuple[str, str, str, str, str, tuple[StopPlan, ...]], ...] = (
    (
        "rr-01",
        "开平碉楼世遗之旅",
        "Kaiping diaolou heritage trail",
        "碉楼",
        "Diaolou",
        (
            _s("赤坎古镇", "骑楼老街与侨乡古镇"),
            _s("三门里村落", "世界文化遗产“开平碉楼与村落”组成部分"),
            _s("自力村碉楼群", "世界文化遗产“开平碉楼与村落”组成部分"),
            _s("立园(近似:塘口镇驻地)", "侨乡园林(以塘口镇驻地近似定位)"),
            _s("马降龙村落群", "世界文化遗产“开平碉楼与村落”组成部分"),
            _s("锦江里村落", "世界文化遗产“开平碉楼与村落”组成部分"),
        ),
    ),
    (
        "rr-02",
        "台山侨乡文化游",
        "Taishan overseas-Chinese heritage",
        "侨乡文化",
        "Overseas-Chinese heritage",
        (
            _t("440781001", "台山城区(以台城街道驻地代表)"),
            _s("梅家大院(近似:端芬镇驻地)", "侨乡骑楼建筑群(以端芬镇驻地近似定位)"),
            _t("440781106", "侨乡村落(以斗山镇驻地代表)"),
            _t("440781105", "侨乡村落(以冲蒌镇驻地代表)"),
        ),
    ),
    (
        "rr-03",
        "川岛海岛滨海游",
        "Chuandao islands and coast",
        "滨海",
        "Coast and islands",
        (
            _s("台山广海镇", "滨海古镇"),
            _t("440781115", "川岛镇(以镇驻地代表;渡船码头)"),
            _s("上川岛", "海岛(以岛中心近似)"),
            _s("下川岛", "海岛(坐标精度约 1 分)"),
        ),
    ),
    (
        "rr-04",
        "新会陈皮美食游",
        "Xinhui chenpi and food",
        "陈皮美食",
        "Chenpi and food",
        (
            _t(
                "440705001",
                "小鸟天堂所在的会城街道(无可靠公开坐标,以街道驻地近似定位)",
                "小鸟天堂(近似:会城街道驻地)",
                "Birds' Paradise (approx. = Huicheng seat)",
                True,
            ),
            _t("440705104", "新会陈皮产区乡镇(以双水镇驻地代表)"),
            _s("新会三江镇", "新会陈皮产区乡镇"),
            _t("440705109", "水乡美食(以睦洲镇驻地代表)"),
        ),
    ),
    (
        "rr-05",
        "新会崖门历史文化游",
        "Xinhui Yamen history",
        "红色",
        "Red and history",
        (
            _t("440705001", "新会城区(以会城街道驻地代表)"),
            _t("440705107", "古井镇(以镇驻地代表)"),
            _t("440705105", "崖门镇(以镇驻地代表)"),
            _t("440705106", "沙堆镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-06",
        "鹤山古劳水乡游",
        "Heshan Gulao water villages",
        "水乡生态",
        "Water villages and nature",
        (
            _t("440784001", "鹤山城区(以沙坪街道驻地代表)"),
            _s("古劳水乡(近似:古劳镇驻地)", "岭南水乡(以古劳镇驻地近似定位)"),
            _t("440784101", "龙口镇(以镇驻地代表)"),
            _t("440784104", "桃源镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-07",
        "鹤山宅梧红色之旅",
        "Heshan Zhaiwu red heritage",
        "红色",
        "Red and history",
        (
            _t("440784105", "鹤城镇(以镇驻地代表)"),
            _t("440784112", "双合镇(镇驻地为近似位置)", approximate=True),
            _t("440784108", "宅梧镇(以镇驻地代表)"),
            _t("440784107", "址山镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-08",
        "恩平温泉康养游",
        "Enping hot springs and wellness",
        "温泉",
        "Hot springs",
        (
            _t("440785001", "恩平城区(以恩城街道驻地代表)"),
            _t("440785102", "良西镇(以镇驻地代表)"),
            _t("440785105", "君堂镇(以镇驻地代表)"),
            _t("440785101", "圣堂镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-09",
        "台山温泉田园游",
        "Taishan hot springs and countryside",
        "温泉",
        "Hot springs",
        (
            _t("440781001", "台山城区(以台城街道驻地代表)"),
            _t("440781102", "四九镇(以镇驻地代表)"),
            _t("440781104", "三合镇(以镇驻地代表)"),
            _t("440781103", "白沙镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-10",
        "蓬江江海城乡游",
        "Pengjiang and Jianghai riverside",
        "侨乡文化",
        "Overseas-Chinese heritage",
        (
            _t("440703002", "江门城区(以白沙街道驻地代表)"),
            _t("440703005", "潮连街道(以街道驻地代表)"),
            _t("440703102", "荷塘镇(以镇驻地代表)"),
            _t("440704004", "外海街道(以街道驻地代表)"),
        ),
    ),
    (
        "rr-11",
        "开平侨乡田园游",
        "Kaiping countryside",
        "侨乡文化",
        "Overseas-Chinese heritage",
        (
            _t("440783001", "开平城区(以三埠街道驻地代表)"),
            _t("440783110", "百合镇(镇驻地为近似位置)", approximate=True),
            _t("440783111", "蚬冈镇(以镇驻地代表)"),
            _t("440783112", "金鸡镇(以镇驻地代表)"),
        ),
    ),
    (
        "rr-12",
        "恩平那吉山水游",
        "Enping Naji hills and rivers",
        "水乡生态",
        "Water villages and nature",
        (
            _t("440785109", "东成镇(以镇驻地代表)"),
            _t("440785106", "大田镇(以镇驻地代表)"),
            _t("440785107", "那吉镇(以镇驻地代表)"),
            _t("440785108", "大槐镇(以镇驻地代表)"),
            _t("440785100", "横陂镇(以镇驻地代表)"),
        ),
    ),
)


_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ";": "；", ",": "，"})


def _zh(text: str) -> str:
    """Chinese text with Chinese punctuation (the CSV and town names use ASCII)."""
    return text.translate(_FULL_WIDTH)


def read_sites(path: Path) -> dict[str, dict]:
    """Rows of site-coordinates.csv with a coordinate, by Chinese name."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["name_zh"]: row for row in csv.DictReader(fh) if row["lat"] and row["lon"]}


def _stop(plan: StopPlan, sites: dict[str, dict], towns: dict[str, dict]) -> dict:
    if plan.site:
        row = sites[plan.site]
        precision = row["precision"]
        approximate = "approx" in row["name_en"] or precision == "town seat only"
        return {
            "name": _zh(plan.name or row["name_zh"]),
            "name_en": plan.name_en or row["name_en"],
            "lon": round(float(row["lon"]), 6),
            "lat": round(float(row["lat"]), 6),
            "description": _zh(plan.description),
            "precision": "approximate" if approximate else precision,
            "coord_source": row["source"],
        }
    town = towns[plan.town]
    lon, lat = town["geometry"]["coordinates"][:2]
    p = town["properties"]
    seat_note = (
        " (the seat itself is placed approximately)" if p.get("position") == "approximate" else ""
    )
    return {
        "name": _zh(plan.name or p["name"]),
        "name_en": plan.name_en or p.get("name_en", ""),
        "lon": lon,
        "lat": lat,
        "description": _zh(plan.description),
        "precision": "approximate"
        if plan.approximate or p.get("position") == "approximate"
        else "town seat",
        "coord_source": f"town seat of {p['name']} {plan.town}, GeoNames via "
        f"towns.geojson{seat_note}",
    }


def generate_routes(data_dir: Path) -> list[dict]:
    """The route features (GeoJSON, WGS-84), from the files in ``data_dir``."""
    # the site list is a source that ships with the package; a data directory may carry
    # its own
    sites_path = data_dir / SITES_FILE
    if not sites_path.exists():
        sites_path = DEFAULT_DATA_DIR / SITES_FILE
    sites = read_sites(sites_path)
    towns = {f["properties"]["code"]: f for f in read_features(data_dir / TOWNS_FILE)}
    districts = [
        (f["properties"]["code"], shapely.geometry.shape(f["geometry"]))
        for f in read_features(data_dir / DISTRICTS_FILE)
    ]
    out = []
    for rid, name, name_en, theme, theme_en, plans in ROUTES:
        missing = [
            p.site or p.town
            for p in plans
            if (p.site and p.site not in sites) or (p.town and p.town not in towns)
        ]
        if missing:  # a data directory without these places (e.g. a test's few towns)
            log.warning(
                "route %s left out: %s not in %s or %s",
                rid,
                ", ".join(missing),
                SITES_FILE,
                TOWNS_FILE,
            )
            continue
        stops = [_stop(p, sites, towns) for p in plans]
        outside = [
            s["name"]
            for s in stops
            if not any(g.covers(shapely.Point(s["lon"], s["lat"])) for _, g in districts)
        ]
        if outside:
            log.warning(
                "route %s left out: %s outside the districts of %s",
                rid,
                ", ".join(outside),
                DISTRICTS_FILE,
            )
            continue
        line = shapely.LineString([(s["lon"], s["lat"]) for s in stops])
        passed = [code for code, geom in districts if geom.intersects(line)]
        out.append(
            {
                "type": "Feature",
                "id": rid,
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[s["lon"], s["lat"]] for s in stops],
                },
                "properties": {
                    "id": rid,
                    "name": name,
                    "name_en": name_en,
                    "theme": theme,
                    "theme_en": theme_en,
                    "districts": passed,
                    "stops": stops,
                    "illustrative": True,
                    "geometry_note": GEOMETRY_NOTE,
                    "source": SAMPLE_SOURCE,
                },
            }
        )
    return out


def build_routes(data_dir: Path, out_dir: Path | None = None) -> int:
    """Write the routes file; returns how many routes."""
    features = generate_routes(Path(data_dir))
    decl = registry.BY_ID["rural_routes"]
    write_feature_collection(Path(out_dir or data_dir) / decl.file, features, decl.id)
    return len(features)
