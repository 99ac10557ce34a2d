"""Errors that stop one document (never one link) and the exit codes a run ends with."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing to fail on
    FAILURES = 1  # links or claims failed under --fail-on
    INPUT = 2  # usage or input error (a document could not be read, a bad option)
    OFFLINE = 3  # could not check: the network is unreachable
    INTERNAL = 70  # a bug in linkcheck (set LINKCHECK_DEBUG=1 for the traceback)


class InputError(Exception):
    """A document cannot be read. The dispatcher turns it into an InputProblem and goes on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Both arguments, so it survives the trip back from a worker process (long PDFs).
        return (InputError, (self.code, self.message))
