"""A refusal of the rules, field by field, and its place on a form.

A service that refuses values raises FieldProblems (or a subclass naming its rules): each
field at fault with what is wrong, in the reader's language, and nothing written. A view
shows them beside their fields with show_problems.
"""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import Form


class FieldProblems(ValueError):
    """The rules refused a value: `problems` maps each field at fault to its message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems.items()))
        self.problems = dict(problems)


def show_problems(form: Form, problems: Mapping[str, str]) -> list[str]:
    """Put each refusal beside its field of `form`; the messages that belong to none of its
    fields (the page shows them on their own)."""
    elsewhere = []
    for name, message in problems.items():
        if name in form and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
        else:
            elsewhere.append(message)
    return elsewhere
