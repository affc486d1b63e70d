"""The consumer's view: a web explorer for the registry, reading the chain live. It holds no key
and sends nothing; its wallet pages (`/submit`, `/wallet`) use the visitor's own browser wallet.

Server-rendered pages that work without JavaScript and on a phone, with nothing fetched from the
internet (the wallet pages alone run a script, the explorer's own). Every page is built from the
chain on each request (its lists from the index instead, with `explorer --db`); `/api/stone/<id>`
returns exactly what `verify --json` prints.

- `server`: routes, status codes, the stylesheet, the server thread;
- `pages`: what each page shows, gathered from the chain as typed values;
- `browser_wallet`: what the wallet page's script needs of the registry, its refusals in words;
- `reads`: one request's reads of the chain (participants in one batch, event scans, block times);
- `lists`: the list pages' lists scanned from the chain; `indexed`: the same from the index, with
  how far it reaches and whether it agrees with the chain;
- `render`: the Jinja2 environment (autoescaped) and its filters; the templates are in
  diamondtrace/templates/, the stylesheet in diamondtrace/static/.
"""

from .server import Explorer, serve

__all__ = ["Explorer", "serve"]
