"""Automatic removal of personal data from PAKN text before publication.

``redact(text, known_names=..., known_values=...)`` finds names of persons (Vietnamese and
foreign), phone numbers (in digits, odd groupings or words), emails (also "[at]", "(a)"),
ID numbers, dossier codes, bank account numbers, vehicle plates and home addresses, and
replaces each with a Vietnamese placeholder ("[họ tên]", "[số điện thoại]"…). Spans are given
in the ORIGINAL text, each with a confidence (HIGH or LOW), so a reviewer can see exactly
what was removed and which guesses to check twice.

What is kept on purpose: dates (12/03/2025), money amounts (1.200.000 đồng), years, article
numbers (Điều 147), legal references (Nghị định 30/2020/NĐ-CP), administrative units (xã
Đình Lập, phường Đông Kinh), agencies (Sở Nội vụ) and streets named without a house number:
they carry the meaning of a typical answer and identify nobody.

The rules err on the side of removing: a reviewer restores wording by editing, while a leaked
phone number cannot be taken back. Pure Python: no Flask, no database. One module per
family of detectors; the hand-made corpus tests/feedback/redaction_corpus.py measures them
(bench/bench_redaction.py prints recall and precision per category).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from core.text import fold_same_length
from feedback.redaction.addresses import find_addresses
from feedback.redaction.banks import find_bank_accounts
from feedback.redaction.emails import find_emails
from feedback.redaction.known import find_known_names, find_known_values
from feedback.redaction.name_lists import SURNAMES
from feedback.redaction.names import find_names
from feedback.redaction.numbers import find_dossier_codes, find_id_numbers
from feedback.redaction.phones import find_phones
from feedback.redaction.plates import find_plates
from feedback.redaction.spans import (
    ADDRESS,
    BANK_ACCOUNT,
    CATEGORIES,
    DOSSIER_CODE,
    EMAIL,
    HIGH,
    ID_NUMBER,
    LOW,
    NAME,
    PHONE,
    REPLACEMENTS,
    VEHICLE_PLATE,
    Finding,
    RedactionResult,
    Span,
    apply_spans,
    merge_findings,
)

__all__ = [
    "ADDRESS", "BANK_ACCOUNT", "CATEGORIES", "DOSSIER_CODE", "EMAIL", "HIGH", "ID_NUMBER",
    "LOW", "NAME", "PHONE", "REPLACEMENTS", "SURNAMES", "VEHICLE_PLATE", "Finding",
    "RedactionResult", "Span", "apply_spans", "find_personal_data", "redact",
]

# Detectors that read the text alone (the known-data ones also get the folded text).
_DETECTORS = (find_emails, find_dossier_codes, find_bank_accounts, find_plates, find_id_numbers,
              find_addresses, find_names)


def find_personal_data(text: str, *, known_names: Iterable[str] = (),
                       known_values: Iterable[tuple[str, str]] = ()) -> list[Span]:
    """Every span of personal data in ``text`` (NFC), sorted, non-overlapping."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text)
    folded = fold_same_length(text)
    findings: list[Finding] = list(find_phones(text, folded))
    for detector in _DETECTORS:
        findings.extend(detector(text))
    findings.extend(find_known_names(text, folded, known_names))
    findings.extend(find_known_values(text, folded, known_values))
    return merge_findings(findings, text)


def redact(text: str, *, known_names: Iterable[str] = (),
           known_values: Iterable[tuple[str, str]] = ()) -> RedactionResult:
    """``text`` with personal data replaced by placeholders, and what was removed (offsets in
    the original text). ``known_names``: the sender's name (matched with or without
    diacritics, and the given name alone); ``known_values``: (category, value) pairs from the
    decrypted contact, e.g. ("phone", "0912 345 678"), ("address", "Số 12 …")."""
    text = unicodedata.normalize("NFC", text or "")
    known_names = [n for n in known_names if n]
    known_values = [(c, v) for c, v in known_values if v]
    spans = find_personal_data(text, known_names=known_names, known_values=known_values)
    return RedactionResult(apply_spans(text, spans), spans)
