"""Survey page weight: the desk form (/k/<code>, the shipped "sipas-desk" questionnaire, 16
ratings, an overall rating and a comment) as a citizen's phone first loads it.

Target (issue #4, DESIGN.md §5): at most 30 KB compressed in at most 4 requests. Sizes are the
gzip (level 6, the usual server setting) of the HTML and of every sub-resource the page
references (stylesheets, scripts, images, icons, fonts); requests = the page plus those.

    .venv/bin/python bench/bench_survey_page.py [--smoke]

Prints ``name value unit`` lines and writes bench/results/survey_page.json; exits non-zero when
the page is over the target.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "survey_page.json"
TARGET_BYTES = 30 * 1024
TARGET_REQUESTS = 4
# Anything the browser would fetch: <link href>, <script src>, <img src>, srcset, url(...).
SUBRESOURCE = re.compile(
    r"""<link[^>]+href="([^"]+)"|<(?:script|img|iframe|source)[^>]+src="([^"]+)"|"""
    r"""url\(["']?([^"')]+)""")


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _subresources(html: str) -> list[str]:
    found = []
    for match in SUBRESOURCE.finditer(html):
        url = next(group for group in match.groups() if group)
        if not url.startswith(("#", "data:")):
            found.append(url)
    return list(dict.fromkeys(found))


def run() -> list[tuple[str, float | int, str]]:
    from flask_migrate import upgrade

    from core import create_app
    from core.db import write_intent
    from core.extensions import db
    from core.org import UnitData, create_unit
    from surveys.instruments import DESK_FORM_CODE, get_version, load_shipped_instruments
    from surveys.models import CollectionPoint

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LANGNGHE_INSTANCE_PATH"] = tmp
        app = create_app({"SECRET_KEY": "bench-only-secret", "RATELIMIT_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})
        with app.app_context(), write_intent():
            upgrade()
            load_shipped_instruments()
            agency = create_unit(UnitData(code="BENCH", kind="commune", hotline="1900 0000",
                                          name_vi="UBND phường Bến Nghé, Quận 1"))
            desk = create_unit(UnitData(code="BENCH-Q1", kind="desk", parent_id=agency.id,
                                        name_vi="Quầy số 1 – Tư pháp, hộ tịch"))
            version = get_version(DESK_FORM_CODE)
            if version is None:
                raise SystemExit("the shipped desk form did not load")
            db.session.add(CollectionPoint(unit_id=desk.id, public_code="BENCH23",
                                           version_id=version.id))
            db.session.commit()

            client = app.test_client()  # a first visit: Vietnamese, no cookies
            page = client.get("/k/BENCH23")
            if page.status_code != 200:
                raise SystemExit(f"survey page answered {page.status_code}")
            html = page.get_data(as_text=True)
            results: list[tuple[str, float | int, str]] = [
                ("radio_groups", html.count('role="radiogroup"'), "count"),
                ("html_raw", len(page.data), "bytes"),
                ("html_gzip", _gz(page.data), "bytes"),
            ]
            total_gzip, requests = _gz(page.data), 1
            for url in _subresources(html):
                sub = client.get(url)
                if sub.status_code != 200:
                    raise SystemExit(f"{url} answered {sub.status_code}")
                name = Path(url.split("?")[0]).name.replace(".", "_")
                results.append((f"{name}_gzip", _gz(sub.data), "bytes"))
                total_gzip += _gz(sub.data)
                requests += 1
                sub.close()
            results += [("total_gzip", total_gzip, "bytes"), ("requests", requests, "count"),
                        ("set_cookie_headers", len(page.headers.getlist("Set-Cookie")), "count")]
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", "--quick", dest="smoke", action="store_true",
                        help="the same single measurement (it is quick); CI runs this")
    args = parser.parse_args()
    results = run()
    for name, value, unit in results:
        print(f"{name} {value} {unit}")
    figures = {name: value for name, value, _unit in results}
    within = (figures["total_gzip"] <= TARGET_BYTES and figures["requests"] <= TARGET_REQUESTS)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "survey_page",
        "target": {"total_gzip_bytes": TARGET_BYTES, "requests": TARGET_REQUESTS},
        "within_target": within,
        "smoke": args.smoke,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "results": [{"name": n, "value": v, "unit": u} for n, v, u in results],
    }, indent=2) + "\n", encoding="utf-8")
    if not within:
        raise SystemExit(f"over target: {figures['total_gzip']} bytes, "
                         f"{figures['requests']} requests")


if __name__ == "__main__":
    main()
