"""The errors a user can cause or meet, each with the exit code the command documents.

0 success; 1 `verify` found the record broken or the stone flagged; 2 bad input or a refusal
before anything was sent; 3 a chain or transaction failure; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RECORD_BROKEN = 1
EXIT_BAD_INPUT = 2
EXIT_CHAIN = 3
EXIT_INTERRUPTED = 130


class DiamondTraceError(Exception):
    """A failure explained in words; the command prints it without a traceback."""

    exit_code = EXIT_BAD_INPUT

    def line(self) -> str:
        """How the command and the brownie scripts show it: one line on stderr."""
        return f"error: {self}"


class InputError(DiamondTraceError):
    """Bad input or a refusal: nothing was sent."""


class NotFound(InputError):
    """What was asked for (a stone, a certificate) is not on this registry."""


class SetupError(DiamondTraceError):
    """A missing prerequisite; the message says what to run."""


class ChainError(DiamondTraceError):
    """The chain could not be reached, or a transaction failed; the message says what was done."""

    exit_code = EXIT_CHAIN


class Interrupted(DiamondTraceError):
    """Ctrl-C: the message says what is on chain and how to go on."""

    exit_code = EXIT_INTERRUPTED

    def line(self) -> str:
        return str(self)


class DatabaseError(DiamondTraceError):
    """The index's database could not be opened or written; the message says what was kept."""

    exit_code = EXIT_CHAIN
