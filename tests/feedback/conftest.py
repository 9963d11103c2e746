"""Fixtures for the PAKN tests."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture
def english_messages(app):
    """Service messages in English outside a request (they default to Vietnamese), for tests
    that assert on a message's English wording; modules opt in with
    ``pytestmark = pytest.mark.usefixtures("english_messages")``."""
    with force_locale("en"):
        yield
