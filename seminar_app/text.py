"""Normalising what people type, and rendering organizer-written Markdown safely."""

from __future__ import annotations

import re
import unicodedata

import markdown
import nh3
from markupsafe import Markup

_ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a", "h3", "h4", "blockquote", "code"}


def normalize_text(value: str | None) -> str:
    """NFKC (full-width letters, digits and spaces become ASCII), trimmed, spaces folded."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def normalize_email(value: str | None) -> str:
    """NFKC then lower case: the form in which addresses are stored and compared."""
    return unicodedata.normalize("NFKC", value or "").strip().lower()


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
