"""Language choice: Vietnamese unless the visitor picked English with the visible switch.

The browser's Accept-Language is ignored on purpose: many citizens' phones are set to English
while they read Vietnamese best, so the page starts in Vietnamese and the switch is one tap away.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANG_COOKIE = "lang"


def select_locale() -> str:
    # Outside a request (CLI, jobs) messages come out in the default language.
    chosen = request.cookies.get(LANG_COOKIE, "") if has_request_context() else ""
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
