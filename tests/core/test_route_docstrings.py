"""Every route handler says in its docstring what the page or action does for its user, so a
reader of app.url_map (or of the code) never has to reverse-engineer a view's purpose."""

from __future__ import annotations

from flask import Flask


def test_every_route_handler_has_a_docstring(app: Flask):
    missing = sorted(
        f"{rule.endpoint} ({rule.rule})" for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not (app.view_functions[rule.endpoint].__doc__ or "").strip())
    assert missing == [], "Route handlers without a docstring:\n" + "\n".join(missing)
