"""Normalising what people type, and rendering organizer-written Markdown safely."""

from __future__ import annotations

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


def render_markdown(source: str | None) -> Markup:
    html = markdown.markdown(source or "", output_format="html")
    # nh3 has removed every tag and attribute outside the allow-list: safe to mark.
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer"))  # noqa: S704
