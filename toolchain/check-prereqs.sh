#!/bin/sh
# What must be on the machine before `make setup` can install the rest. Each failure says what to run.
status=0
say() { printf 'missing prerequisite: %s\n' "$1" >&2; status=1; }

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "Python 3.11 ($PYTHON not found): install it, e.g. \`apt-get install python3.11 python3.11-venv\`, or run \`make PYTHON=/path/to/python3.11\`"
elif ! "$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  say "Python 3.11 with venv ($PYTHON is $("$PYTHON" --version 2>&1)): install it and run \`make PYTHON=/path/to/python3.11\`"
fi
if ! command -v node >/dev/null 2>&1; then
  say "Node.js 20 (node not found): install it, e.g. \`apt-get install nodejs npm\`"
elif ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  say "Node.js 20 or newer (found $(node --version)): upgrade Node.js"
fi
if ! command -v npm >/dev/null 2>&1; then
  say "npm (not found): install it, e.g. \`apt-get install npm\`"
fi
exit $status
