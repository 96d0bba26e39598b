"""A refusal of the desk's rules, field by field: what DeskError and ConsultationError share.

The form mixin that shows them is forms.ShowsProblems."""

from __future__ import annotations


class FieldProblems(ValueError):
    """The rules refused a value: each field at fault with what is wrong, in the reader's
    language. Nothing was written."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems.items()))
        self.problems = problems
