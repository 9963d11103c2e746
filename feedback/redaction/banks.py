"""Bank account numbers after the words that announce them ("STK 0123456789 Vietcombank",
"số tài khoản: 1903 5678 9012 34", "tài khoản ngân hàng BIDV số 2151…"). Decree 13/2023/NĐ-CP
(art. 2.4) counted a person's bank account data as sensitive personal data; the Personal Data
Protection Law 91/2025/QH15 that replaced it applies now (shared/DOMAIN.md §5). The bank's
name stays: it identifies nobody."""

from __future__ import annotations

import re

from feedback.redaction.numbers import MONEY_AFTER_RE
from feedback.redaction.spans import BANK_ACCOUNT, HIGH, Finding

# "TK" only in capitals ("tk" is also a chat abbreviation); the others in any case.
ACCOUNT_WORD_RE = re.compile(
    r"(?<![\w])(?:(?i:số\s+tài\s+khoản|tài\s+khoản|stk|số\s+tk)|TK)(?![\w])")
# Between the word and the number: a bank's name, "số", "nhận", a colon… but no digit and no
# end of sentence, within a few words ("tài khoản ngân hàng BIDV số 2151…").
_GAP_RE = re.compile(r"[^\d.;!?\n]{0,40}")
# Vietnamese account numbers have 6 to 19 digits, written in groups or not.
ACCOUNT_NUMBER_RE = re.compile(r"\d(?:[ .\-]?\d){5,18}(?![\d\w])")


def _account_after(text: str, pos: int) -> tuple[int, int] | None:
    gap = _GAP_RE.match(text, pos)
    number = ACCOUNT_NUMBER_RE.match(text, gap.end())
    return number.span() if number is not None else None


def find_bank_accounts(text: str):
    for m in ACCOUNT_WORD_RE.finditer(text):
        span = _account_after(text, m.end())
        if span is None or MONEY_AFTER_RE.match(text, span[1]):
            continue  # "đã chuyển vào tài khoản 2.500.000 đồng": an amount
        yield Finding(BANK_ACCOUNT, *span, HIGH)
