"""Codes a person reads out and types: tickets, certificates' codes, recovery codes.

Grouped symbols from an alphabet without the look-alikes 0/O and 1/I (5 bits each),
accepted in any case and width, with or without whatever separators people type.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

#: 32 symbols (5 bits each) without the look-alikes 0/O and 1/I.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: What people type between the groups: hyphens and dashes of every width, spaces, and
#: the katakana prolonged sound mark a Japanese input method gives for "-".
_SEPARATORS = dict.fromkeys(map(ord, " \t\r\n-_.‐‑‒–—―−ーｰ"), None)


@dataclass(frozen=True)
class ReadableCode:
    """A kind of code: so many groups of so many symbols, shown as ABCD-EFGH-…"""

    group: int
    groups: int
    #: Longer input is not looked at.
    max_input: int = 80

    @property
    def length(self) -> int:
        return self.group * self.groups

    @property
    def bits(self) -> int:
        return self.length * 5

    def new_symbols(self) -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(self.length))

    def format(self, symbols: str) -> str:
        return "-".join(symbols[i : i + self.group] for i in range(0, len(symbols), self.group))

    def new(self) -> str:
        return self.format(self.new_symbols())

    def symbols_of(self, raw: str | None) -> str | None:
        """The symbols of a typed code (any case, width and separators), or None."""
        if not raw or len(raw) > self.max_input:
            return None
        symbols = unicodedata.normalize("NFKC", raw).translate(_SEPARATORS).upper()
        if len(symbols) != self.length or any(symbol not in ALPHABET for symbol in symbols):
            return None
        return symbols


#: A ticket (受講票): ABCD-EFGH-JKLM, 60 random bits. It admits a person only at a staff
#: desk, so it needs no more, and it can be read out and typed when a scan fails.
TICKET = ReadableCode(group=4, groups=3, max_input=200)
#: Tickets issued before readable codes: "TKT-" and 144 random bits in URL-safe base64.
#: They keep working, exactly as issued.
_LEGACY_TICKET = re.compile(r"^TKT-[A-Za-z0-9_-]{24}$")


def ticket_code_of(raw: str | None) -> str | None:
    """The stored form of a scanned or typed ticket code, or None if it cannot be one."""
    symbols = TICKET.symbols_of(raw)
    if symbols is not None:
        return TICKET.format(symbols)
    if not raw or len(raw) > TICKET.max_input:
        return None
    legacy = unicodedata.normalize("NFKC", raw).strip()
    return legacy if _LEGACY_TICKET.match(legacy) else None
