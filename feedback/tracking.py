"""Tracking codes (mã tra cứu): short, unguessable, readable aloud over the phone.

Eight random Crockford base-32 characters (40 bits) and a Luhn mod-32 check character, shown
in groups of three: ``K7M-39Q-XDT``. Crockford's alphabet has no I, L, O or U, and reading
folds the look-alikes (O→0, I/L→1) so a code typed from paper still matches. The check
character catches every single wrong character and almost every swap of neighbours before
the database is asked, and the status page is rate-limited, so guessing is hopeless.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
DATA_LENGTH = 8
CODE_LENGTH = DATA_LENGTH + 1
# The status page's query parameter that fills in the code, in the links a sender receives
# (the sent page, every message). A query rather than a fragment: it must work without
# JavaScript. The request line is the only log it reaches: gunicorn's access log drops query
# strings (deploy/gunicorn.conf.py), the app logs paths only, and Referrer-Policy
# same-origin keeps it from other sites. The code alone shows nothing of a formal PAKN
# without the phone's last 4 digits.
CODE_PARAM = "ma"


def check_character(data: str) -> str:
    """Luhn mod N (N = 32) over the code's characters."""
    factor = 2
    total = 0
    n = len(ALPHABET)
    for char in reversed(data):
        addend = factor * _VALUE[char]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_tracking_code() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_character(data)


def normalise_tracking_code(text: str) -> str | None:
    """The stored form of what someone typed, or None when it cannot be a valid code."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum()).translate(_FOLD)
    if len(cleaned) != CODE_LENGTH or any(ch not in _VALUE for ch in cleaned):
        return None
    if check_character(cleaned[:-1]) != cleaned[-1]:
        return None
    return cleaned


def format_tracking_code(code: str) -> str:
    return "-".join(code[i:i + 3] for i in range(0, len(code), 3))
