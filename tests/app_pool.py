"""Apps built once per test process and configuration, lent to one test at a time.

Building the app is most of a small test's cost: werkzeug compiles two functions per URL rule
(some 800 rules) and flask-smorest writes the OpenAPI document, about 0.15 s per app on this
machine. A test gets back an app built for the same configuration by an earlier test, restored
to what a fresh build gives:

- its config as it was right after the build (tests change ``app.config``);
- ``app.extensions`` without the entries added after the build: those are the per-app caches
  of database rows (the calendar, questionnaire versions, routing, rendered pages), which
  describe the previous test's database;
- Flask-Limiter's one global ``Limiter`` set up again from this app's config (it keeps the
  settings and storage of whichever app initialised it last), with fresh in-memory counters.

A test that registers routes or hooks on its app must not lend it on: mark it
``@pytest.mark.own_app`` to get an app of its own.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from core.extensions import db, limiter


@dataclass
class _Kept:
    app: Flask
    config: dict
    extensions: frozenset[str]
    lent: bool = False


@dataclass
class AppPool:
    size: int = 6
    _kept: OrderedDict[str, _Kept] = field(default_factory=OrderedDict)

    def borrow(self, config: dict, build: Callable[[dict], Flask], *,
               per_test: dict) -> Flask:
        """An app for ``config``: a kept one restored, else a new one kept for later. A
        second borrow of the same config in one test gets a new app (two nodes, say)."""
        key = repr(sorted(config.items()))
        kept = self._kept.get(key)
        if kept is None or kept.lent:
            app = build({**config, **per_test})
            if kept is None:
                self._keep(key, _Kept(app, copy.deepcopy(dict(app.config)),
                                      frozenset(app.extensions)))
                self._kept[key].lent = True
            return app
        self._kept.move_to_end(key)
        kept.lent = True
        _restore(kept)
        kept.app.config.update(per_test)
        return kept.app

    def give_back(self, app: Flask) -> None:
        """End the test's use: close its connections (the database file or rows are replaced
        before the next test) and let the app be lent again."""
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        for kept in self._kept.values():
            if kept.app is app:
                kept.lent = False

    def _keep(self, key: str, kept: _Kept) -> None:
        self._kept[key] = kept
        while len(self._kept) > self.size:
            _key, oldest = self._kept.popitem(last=False)
            if not oldest.lent:
                with oldest.app.app_context():
                    db.engine.dispose()


def _restore(kept: _Kept) -> None:
    app = kept.app
    app.config.clear()
    app.config.update(copy.deepcopy(kept.config))
    for name in set(app.extensions) - kept.extensions:
        del app.extensions[name]
    stand_in = Flask("limiter-settings")
    stand_in.config.update(app.config)
    limiter.init_app(stand_in)
