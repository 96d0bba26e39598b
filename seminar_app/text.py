"""Normalising what people type, and rendering organizer-written Markdown safely."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum, auto

import markdown
import nh3
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

_ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a", "h3", "h4", "blockquote", "code"}


def normalize_text(value: str | None) -> str:
    """NFKC (full-width letters, digits and spaces become ASCII), trimmed, spaces folded."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFKC", value).split())


# --- e-mail addresses: the one home of their rule (design.md, "E-mail addresses") ---------

#: The longest address SMTP carries (RFC 5321), counted in its ASCII form.
EMAIL_MAX_LENGTH = 254

#: Japanese mobile carriers that issued addresses with `..` or a dot before `@` until 2009
#: and still deliver to them. Such addresses are accepted for these domains only.
LEGACY_MOBILE_DOMAINS = frozenset(
    {
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
        "disney.ne.jp",
        "vodafone.ne.jp",
    }
)


class _Refused(Enum):
    EMPTY = auto()
    SPACES = auto()
    TOO_LONG = auto()
    LOCAL_PART_NOT_ASCII = auto()
    INVALID = auto()


#: What the person reads when their address is refused, in their language.
_REFUSALS = {
    _Refused.EMPTY: _l("Enter your e-mail address."),
    _Refused.SPACES: _l("An e-mail address cannot contain spaces or line breaks."),
    _Refused.TOO_LONG: _l("The e-mail address is too long."),
    _Refused.LOCAL_PART_NOT_ASCII: _l(
        "Before the @, an e-mail address can only use half-width letters, digits and symbols: "
        "we cannot deliver mail to an address with Japanese or other non-Latin characters there."
    ),
    _Refused.INVALID: _l("Enter a valid e-mail address, such as name@example.jp."),
}


def _deliverable(raw: str | None) -> tuple[str | None, _Refused | None]:
    """The address in the form mail can be sent to, or why there is none."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if not value:
        return None, _Refused.EMPTY
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zs") for char in value):
        return None, _Refused.SPACES
    if len(value) > EMAIL_MAX_LENGTH:
        return None, _Refused.TOO_LONG
    local, at, domain = value.rpartition("@")
    if at and not local.isascii():
        # SMTPUTF8 would be needed, and not every server on the way speaks it.
        return None, _Refused.LOCAL_PART_NOT_ASCII
    if at and domain.lower() in LEGACY_MOBILE_DOMAINS and (".." in local or local.endswith(".")):
        # Check everything but the dots that RFC 5322 forbids and these carriers allowed.
        probe = re.sub(r"\.+", ".", local).strip(".") or "x"
        try:
            validate_email(f"{probe}@{domain}", check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError:
            return None, _Refused.INVALID
        return f"{local}@{domain.lower()}", None
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None, _Refused.INVALID
    # ascii_email: an internationalized domain in its IDNA form (例え.jp -> xn--r8jz45g.jp),
    # which every mail server accepts and which headers carry without encoding. It is
    # None only for a local part that is not ASCII.
    address = result.ascii_email
    if address is None:
        return None, _Refused.LOCAL_PART_NOT_ASCII
    if len(address) > EMAIL_MAX_LENGTH:
        return None, _Refused.TOO_LONG
    return address, None


def normalize_email_address(raw: str | None) -> tuple[str | None, str | None]:
    """(address, None), or (None, why not in the person's language): every door's check.

    The address comes back as it is stored and sent: NFKC (full-width letters), the domain
    lower-cased and, when internationalized, in its ASCII (IDNA) form; the part before the
    @ as typed. No SMTPUTF8 addresses; the old Japanese mobile addresses are accepted for
    their carriers' domains.
    """
    address, refused = _deliverable(raw)
    return (None, str(_REFUSALS[refused])) if refused is not None else (address, None)


def deliverable_address(raw: str | None) -> str | None:
    """The address as normalize_email_address returns it, or None; no message (the sender)."""
    return _deliverable(raw)[0]


def normalize_email(value: str | None) -> str:
    """The key addresses are compared on (registrations' email_key, staff accounts, lookups):
    the deliverable form lower-cased, so that Taro@例え.jp and taro@xn--r8jz45g.jp are one
    person. Never fails: what is not an address keeps a key that matches no address."""
    address = deliverable_address(value)
    return (address or unicodedata.normalize("NFKC", value or "").strip()).lower()


# --- 法人番号 and telephone numbers ----------------------------------------------------------

#: What people type between the digits of a number: hyphens and dashes of every width,
#: spaces, and the katakana prolonged sound mark a Japanese input method gives for "-".
_NUMBER_SEPARATORS = dict.fromkeys(map(ord, " \t-‐‑‒–—―−ーｰ"), None)


def corporate_number_check_digit(base: str) -> int:
    """The first digit of a 法人番号, computed from the twelve after it (the National Tax
    Agency's rule: 9 minus the sum of the digits, from the last, weighted 1, 2, 1, 2 …,
    modulo 9)."""
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), 1))
    return 9 - total % 9


def normalize_corporate_number(raw: str | None) -> tuple[str | None, str | None]:
    """(13 digits, None), (None, None) when nothing was typed, or (None, why not in the
    reader's language): full-width digits, hyphens and spaces are accepted, and the check
    digit must match, so that a mistyped number links to no other company."""
    number = unicodedata.normalize("NFKC", raw or "").translate(_NUMBER_SEPARATORS)
    if not number:
        return None, None
    if not (len(number) == 13 and number.isascii() and number.isdigit()):
        return None, str(_l("A corporate number has 13 digits."))
    if int(number[0]) != corporate_number_check_digit(number[1:]):
        return None, str(
            _l(
                "This is not a valid corporate number: please check its digits "
                "(the National Tax Agency's corporate number site shows it)."
            )
        )
    return number, None


#: The longest telephone number kept, as written with its separators.
PHONE_MAX_LENGTH = 30
#: A telephone number as it is written: digits, separators, brackets and a leading +.
_PHONE = re.compile(r"^\+?[0-9()]+$")
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]+")


def normalize_phone(raw: str | None) -> tuple[str | None, str | None]:
    """(the number as typed, in half-width and with single hyphens), or (None, why not): a
    Japanese number has 10 or 11 digits, an international one (+) up to 15."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None, str(_l("Enter a telephone number."))
    compact = text.translate(_NUMBER_SEPARATORS)
    digits = "".join(char for char in compact if char.isdigit())
    if compact.startswith("+"):
        plausible = 8 <= len(digits) <= 15
    else:
        plausible = 10 <= len(digits) <= 11 and digits.startswith("0")
    number = "-".join(part for part in _PHONE_SEPARATORS.split(text) if part)
    if not (plausible and _PHONE.match(compact) and len(number) <= PHONE_MAX_LENGTH):
        return None, str(_l("Enter a telephone number, such as 03-1234-5678."))
    return number, None


#: Company-form words that do not tell two organizations apart.
_COMPANY_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人"
    r"|\(株\)|\(有\)|㈱|㈲"
)


def organization_key(name: str | None) -> str | None:
    """株式会社ＡＢＣ商事 and (株)ABC 商事 are the same organization: abc商事."""
    text = _COMPANY_FORMS.sub("", unicodedata.normalize("NFKC", name or ""))
    return "".join(text.split()).lower() or None


def render_markdown(source: str | None) -> Markup:
    html = markdown.markdown(source or "", output_format="html")
    # nh3 has removed every tag and attribute outside the allow-list: safe to mark.
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer"))  # noqa: S704
