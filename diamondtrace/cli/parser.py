"""argparse as the command needs it: no abbreviations, and usage errors that never echo a value
typed after an option the command does not know (it may be a password: `--password secret`)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Iterator, NoReturn

HIDDEN = "'(not shown)'"
_NEGATIVE = re.compile(r"-[0-9]+(\.[0-9]+)?")


class UsageError(Exception):
    """A usage error, raised instead of argparse's exit so the command can report it its own way."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message

    def text(self) -> str:
        """What argparse would print: the usage, then `prog: error: message`."""
        return f"{self.parser.format_usage()}{self.parser.prog}: error: {self.message}"


class Parser(argparse.ArgumentParser):
    """Every parser and subparser of the command. Abbreviations are off: with them argparse reads
    `--password secret` as `--password-file secret`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def parse_args(self, args=None, namespace=None) -> argparse.Namespace:  # type: ignore[override]
        argv = sys.argv[1:] if args is None else list(args)
        try:
            parsed, extras = self.parse_known_args(argv, namespace)
        except UsageError as exc:
            unknown, values = _unknown(argv, set(_option_strings(self)))
            exc.message = _redacted(exc.message, values) + (f"; {unrecognized(unknown)}" if unknown else "")
            raise
        if extras:
            self.error(unrecognized(extras))
        return parsed


def unrecognized(extras: list[str]) -> str:
    """argparse's complaint about arguments it does not know, naming only the options."""
    names = [e.split("=", 1)[0] for e in extras if e.startswith("-")]
    values = len(extras) - len(names) + sum("=" in e for e in extras if e.startswith("-"))
    text = "unrecognized arguments: " + (" ".join(names) if names else "")
    if values:
        text += f"{' and ' if names else ''}{values} value{'s' if values > 1 else ''} (not shown: values may be secrets)"
    if any(n.startswith("--pass") and n != "--password-file" for n in names):
        text += "; a password is never taken on the command line: use --password-file PATH or $DIAMONDTRACE_PASSWORD"
    return text


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and every subparser below it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def _option_strings(parser: argparse.ArgumentParser) -> Iterator[str]:
    for p in parsers(parser):
        for action in p._actions:
            yield from action.option_strings


def _unknown(argv: list[str], known: set[str]) -> tuple[list[str], set[str]]:
    """The options no parser knows, and the values typed with or after them (whatever they are, never shown)."""
    options, values = [], set()
    for i, token in enumerate(argv):
        if not token.startswith("-") or token == "-" or _NEGATIVE.fullmatch(token):
            continue
        name, eq, value = token.partition("=")
        if name in known:
            continue
        options.append(name)
        if eq:
            values.add(value)
        elif i + 1 < len(argv):
            values.add(argv[i + 1])
    return options, values


def _redacted(message: str, suspects: set[str]) -> str:
    for value in suspects:
        message = message.replace(repr(value), HIDDEN)
    return message
