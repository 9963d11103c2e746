"""The Vietnamese catalogue is complete and safe to format, and pages use it by default.

Vietnamese is the default language, so an untranslated message would show English to citizens
and a translation that drops or renames a placeholder would raise at render time.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO_PATH = ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")

HOME_TITLE_EN = "Rate public services and send your feedback"
HOME_TITLE_VI = "Đánh giá dịch vụ hành chính công và gửi phản ánh, kiến nghị"


def _catalog():
    with PO_PATH.open("rb") as handle:
        return read_po(handle, locale="vi")


def _messages():
    return [m for m in _catalog() if m.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def test_catalogue_has_messages_and_vietnamese_plural_rule():
    catalog = _catalog()
    assert len(_messages()) > 100
    assert catalog.num_plurals == 1
    assert catalog.plural_expr.strip() == "0"


def test_every_message_is_translated():
    empty = [m.id for m in _messages() if not all(s.strip() for s in _strings(m))]
    assert not empty, f"untranslated: {empty}"


def test_no_fuzzy_translations():
    catalog = _catalog()
    assert not catalog.fuzzy
    fuzzy = [m.id for m in _messages() if m.fuzzy]
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_translations_keep_the_placeholders():
    wrong = []
    for message in _messages():
        expected = set().union(*(PLACEHOLDER.findall(i) for i in _ids(message)))
        for string in _strings(message):
            if set(PLACEHOLDER.findall(string)) != expected:
                wrong.append((message.id, string))
    assert not wrong, f"placeholders differ: {wrong}"


def test_translations_are_nfc():
    wrong = [m.id for m in _messages()
             if any(unicodedata.normalize("NFC", s) != s for s in _strings(m))]
    assert not wrong, f"not NFC-normalised: {wrong}"


def test_catalogue_passes_babel_checks():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalog().check()]
    assert not problems, problems


@pytest.fixture
def compiled_catalogue() -> None:
    """Pages need the compiled catalogue; `make test` builds it, a bare pytest run may not."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        with MO_PATH.open("wb") as handle:
            write_mo(handle, _catalog())


def test_home_page_is_vietnamese_by_default_and_english_on_request(compiled_catalogue, app):
    client = app.test_client()  # no language cookie: a citizen's first visit
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert HOME_TITLE_VI in page
    assert HOME_TITLE_EN not in page

    client.set_cookie("lang", "en", domain="localhost")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert HOME_TITLE_EN in page
    assert HOME_TITLE_VI not in page


def test_every_message_of_the_code_is_in_the_catalogue():
    """A message added to the code but never extracted would show English to citizens even
    though the catalogue itself looks complete."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    in_code = {message if isinstance(message, str) else message[0]
               for _file, _line, message, _comments, _context in extract_from_dir(
                   str(ROOT), method_map, options_map, keywords=keywords)}
    known = {_ids(message)[0] for message in _messages()}
    missing = sorted(in_code - known)
    assert not missing, f"not in the catalogue (run `make extract-messages`): {missing}"
