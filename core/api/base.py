"""The API's own Blueprint and Api: the argument parsers every endpoint shares.

Every API module builds its ``blp`` with ``core.api.Blueprint`` (``LangngheApi`` refuses any
other), so that:

- a JSON body nested deeper than the parser can go answers 400 ``invalid_json``, like any
  other body that is not JSON, instead of a RecursionError (500);
- a ``page`` beyond ``MAX_PAGE`` answers 422 like ``page=0`` does, instead of an OFFSET the
  database cannot hold (500);
- the OpenAPI document says what the X-Pagination header really carries: a JSON object.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest.pagination import PaginationMetadataSchema
from webargs.flaskparser import FlaskParser

from core.request_input import InvalidJson

# 100,000 pages of at most a few hundred rows: beyond any real list, well within an OFFSET.
MAX_PAGE = 100_000


class ApiParser(FlaskParser):
    def _raw_load_json(self, req) -> Any:
        # webargs reads the body with json.loads itself; read it with the same guard as Flask.
        raw = super()._raw_load_json
        try:
            return raw(req)
        except RecursionError as error:
            raise InvalidJson() from error

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise InvalidJson() from error


def _page_within_reach(parameters) -> bool:
    if parameters.page > MAX_PAGE:
        raise ma.ValidationError({"page": [_("Must be between 1 and %(most)d.", most=MAX_PAGE)]})
    return True


class PaginationParser(ApiParser):
    def parse(self, argmap, req=None, **kwargs):
        kwargs.setdefault("validate", _page_within_reach)
        return super().parse(argmap, req, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()
    PAGINATION_ARGUMENTS_PARSER = PaginationParser()


class LangngheApi(flask_smorest.Api):
    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        if not isinstance(blp, Blueprint):
            raise TypeError(f"API blueprint {blp.name!r} must be a core.api.Blueprint, so that "
                            "bad JSON and out-of-range pages answer 4xx.")
        super().register_blueprint(blp, parameters=parameters, **options)

    def _register_pagination_header(self) -> None:
        # The header's value is JSON text. A header "schema" of type object would mean the
        # OpenAPI "simple" style (k,v,k,v), which is not what is sent: describe it as content.
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata, a JSON object",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }, lazy=True)
