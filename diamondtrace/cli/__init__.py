"""The `diamondtrace` command: it parses, calls the library, and prints.

Each group of commands is a module declaring its parsers beside their handlers (`register`);
`main` reports failures. Results go to stdout (human text, or one JSON object with --json);
progress and logs to stderr. Exit codes: 0 success; 1 `verify` found the record broken or the
stone flagged (`check-verification`: a bundle that does not match as its folder claims); 2 bad
input or a refusal before anything was sent; 3 a chain or transaction failure; 130 interrupted
(Ctrl-C).
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
