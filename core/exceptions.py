"""Errors that services raise for refusals a person can act on; views turn them into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation. ``message`` is already translated for the person who asked;
    ``status`` is the HTTP status a view or API answer should carry."""

    status = 409

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotFound(ServiceError):
    status = 404
