"""Codes a person reads out and types: certificates' verification codes, recovery codes.

Grouped symbols from an alphabet without the look-alikes 0/O and 1/I (5 bits each),
accepted in any case and width, with or without whatever separators people type.
"""

from __future__ import annotations

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
