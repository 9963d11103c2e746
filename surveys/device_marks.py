"""A per-device limit on desk ratings that keeps nothing on the server.

After a rating on a citizen's own phone, the answer sets one signed cookie that lists only
(collection point id, time) pairs from the last day — no identity, no response id, nothing the
server stores. A phone that rates the same desk more than SURVEY_DEVICE_LIMIT times a day has
its further ratings flagged "device_repeat" for review, never dropped: several family members may
share one phone. Kiosks never get the cookie (a shared tablet must keep nothing between citizens).
"""

from __future__ import annotations

import time

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "ln_rated"
WINDOW_SECONDS = 24 * 3600
MAX_MARKS = 20  # keeps the cookie small whatever happens
REASON_DEVICE_REPEAT = "device_repeat"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="device-marks")


def read_marks(request: Request) -> list[tuple[int, int]]:
    """(point id, unix time) pairs of the last day from the cookie; [] if absent or forged."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        marks = _serializer().loads(raw, max_age=WINDOW_SECONDS)
    except BadSignature:
        return []
    cutoff = int(time.time()) - WINDOW_SECONDS
    return [(int(point), int(at)) for point, at in marks
            if isinstance(point, int) and isinstance(at, int) and at >= cutoff]


def device_reasons(request: Request, point_id: int) -> list[str]:
    """["device_repeat"] when this phone already rated this point the allowed number of
    times today (setting SURVEY_DEVICE_LIMIT, default 3)."""
    limit = current_app.config.get("SURVEY_DEVICE_LIMIT", 3)
    done = sum(1 for point, _at in read_marks(request) if point == point_id)
    return [REASON_DEVICE_REPEAT] if done >= limit else []


def remember_rating(request: Request, response: Response, point_id: int) -> None:
    marks = [*read_marks(request), (point_id, int(time.time()))][-MAX_MARKS:]
    response.set_cookie(
        COOKIE, _serializer().dumps(marks), max_age=WINDOW_SECONDS, path="/k/",
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )
