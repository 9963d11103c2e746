"""Core: the app shell and the shared domain (organisation, users, audit, calendar, settings)."""

from core.factory import create_app

__all__ = ["create_app"]
