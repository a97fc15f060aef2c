"""Domain errors: each says, in words an office clerk can act on, what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """A request the domain refuses; the message names what is wrong."""


@dataclass(frozen=True)
class RowProblem:
    line: int  # the header is line 1
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RejectedFile(DomainError):
    """A file with at least one bad row; nothing from it was stored."""

    def __init__(self, file_name: str, problems: list[RowProblem]):
        self.file_name = file_name
        self.problems = problems
        super().__init__(
            f"{file_name} rejected, nothing stored: {len(problems)} problem(s)\n" + "\n".join(str(p) for p in problems)
        )


class CannotScore(DomainError):
    """A date that cannot be scored, with everything that is missing."""

    def __init__(self, day, problems: list[str]):
        self.day = day
        self.problems = problems
        super().__init__(f"{day} cannot be scored:\n" + "\n".join(f"- {p}" for p in problems))
