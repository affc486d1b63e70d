"""The explorer's HTTP side: routes, status codes, the stylesheet, and the server thread.

A request opens its own view of the chain, so a node that comes and goes gives a clear 503 page
rather than a dead server. Failures map by type: `NotFound` 404, `BadRequest` 400, `ChainError`
503, anything else a plain 500 page (the traceback goes to the log, never to the visitor).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlparse

from .. import verify
from ..errors import ChainError, DiamondTraceError, InputError, NotFound
from ..index.store import Store
from ..model import parse_stone
from . import browser_wallet, pages
from .indexed import IndexedLists
from .lists import ChainLists
from .pages import BadRequest, Page
from .reads import View
from .render import render

log = logging.getLogger("diamondtrace.explorer")

STATIC = resources.files("diamondtrace") / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
# The pages load nothing from elsewhere and, but for the few that reach a browser wallet, run no
# script; the policy says so to the browser, a second wall behind the templates' escaping.
POLICY = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
# A wallet page runs the explorer's own script file (never inline script) and asks only the
# explorer itself (the registry's refusals in words); the wallet is reached inside the page.
SCRIPT_POLICY = "; script-src 'self'; connect-src 'self'"
HTML_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# Matched on the path as sent, so a percent-encoded `/` stays inside its segment; each segment is
# decoded before it reaches its page.
ROUTES: list[tuple[re.Pattern[str], Callable[..., Page]]] = [
    (re.compile(r"/"), pages.home),
    (re.compile(r"/stone/([^/]+)"), pages.stone),
    (re.compile(r"/kp/([^/]+)"), pages.certificate),
    (re.compile(r"/kp/([^/]+)/([^/]+)"), pages.certificate),
    (re.compile(r"/address/([^/]+)"), pages.address),
    (re.compile(r"/tx/([^/]+)"), pages.transaction),
    (re.compile(r"/submit"), browser_wallet.submit),
    (re.compile(r"/wallet"), browser_wallet.connect),
    (re.compile(r"/move/([^/]+)"), browser_wallet.move),
]


@dataclass
class Response:
    status: int
    content_type: str
    body: str | bytes
    headers: dict[str, str] = field(default_factory=dict)


def html(status: int, page: Page, view: View | None = None, query: str = "") -> Response:
    body = render(
        page.template,
        title=page.title,
        page=page.data,
        script=page.script,
        people=view.people if view else None,
        index=view.lists.status() if view else None,
        query=query,
    )
    policy = POLICY + (SCRIPT_POLICY if page.script else "")
    return Response(status, "text/html", body, {"Content-Security-Policy": policy, **HTML_HEADERS})


@dataclass(frozen=True)
class Failure:
    status: int
    message: str


def error(status: int, title: str, message: str, query: str = "") -> Response:
    return html(status, Page("error.html", title, Failure(status, message)), query=query)


class Explorer:
    """Routes requests to pages; with `index` (an open `index.store.Store`), the list pages read from it."""

    def __init__(self, rpc_url: str, deployment_path: Path | None, index: Store | None = None) -> None:
        self.rpc_url = rpc_url
        self.deployment_path = deployment_path
        self.index = index
        self._opened: View | None = None  # the connection and registry, kept while the chain answers

    def handle(self, raw_path: str) -> Response:
        url = urlparse(raw_path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query).get("q", [""])[0]
        try:
            return self._route(path, query)
        except NotFound as exc:
            return error(404, "Not found", str(exc), query)
        except BadRequest as exc:
            return error(400, "Not understood", str(exc), query)
        except ChainError as exc:
            self._opened = None  # the chain and the deployment are opened again on the next request
            return error(503, "The chain is unreachable", str(exc))
        except DiamondTraceError as exc:
            self._opened = None
            return error(503, "The registry is unavailable", str(exc))
        except Exception:  # a bug: log it for the operator, show the visitor a plain page
            log.exception("error rendering %s", raw_path)
            return error(500, "Something went wrong", "The explorer failed to build this page; the error is in its log.")

    def _route(self, path: str, query: str) -> Response:
        if path.startswith("/static/"):
            return static(path.removeprefix("/static/"))
        if path == "/search":
            return Response(303, "text/html", "", {"Location": pages.search(self._view(), query)})
        match = re.fullmatch(r"/api/stone/([^/]+)", path)
        if match:
            return self._api_stone(unquote(match.group(1)))
        match = re.fullmatch(r"/api/revert/(0x(?:[0-9a-fA-F]{2})*)", path)
        if match:
            return _api_revert(match.group(1))
        for pattern, page in ROUTES:
            match = pattern.fullmatch(path)
            if match:
                view = self._view()
                return html(200, page(view, *map(unquote, match.groups())), view)
        return error(404, "No such page", f"There is no page at {unquote(path)}.")

    def _view(self) -> View:
        """This request's view: the connection and registry of the requests before it, while the
        chain answers them (a failure opens them again), with caches of its own."""
        if self._opened is None:
            self._opened = View.open(self.rpc_url, self.deployment_path)
        view = self._opened.fresh()
        view.lists = IndexedLists(self.index, view) if self.index else ChainLists(view)
        return view

    def _api_stone(self, ref: str) -> Response:
        """Exactly what `verify --json` prints; errors as JSON too."""
        try:
            token = parse_stone(ref)
        except InputError as exc:
            return _json(400, {"error": str(exc)})
        try:
            view = self._view()
            return _json(200, verify.provenance(view.registry, token, view.deployment.block).as_json())
        except NotFound as exc:
            return _json(404, {"error": str(exc)})
        except DiamondTraceError as exc:
            self._opened = None
            return _json(503, {"error": str(exc)})


def _api_revert(data: str) -> Response:
    """The registry's refusal in words, for a wallet page that simulated a call."""
    try:
        return _json(200, {"reason": browser_wallet.revert_reason(data)})
    except InputError as exc:
        return _json(400, {"error": str(exc)})


def _json(status: int, value: Any) -> Response:
    return Response(status, "application/json", json.dumps(value, indent=2))


def static(name: str) -> Response:
    """A file of diamondtrace/static/ (the stylesheet, the wallet pages' scripts, and in vendor/ the
    npm modules /move imports), by its plain name only."""
    kind = STATIC_TYPES.get(Path(name).suffix)
    resource = STATIC.joinpath(*name.split("/"))
    if kind is None or not re.fullmatch(r"(vendor/)?[a-z0-9_-]+\.[a-z0-9]+", name) or not resource.is_file():
        return error(404, "No such page", f"There is no file /static/{name}.")
    return Response(200, kind, resource.read_bytes(), {"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


def serve(explorer: Explorer, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """Starts serving in a background thread; returns the server (call `shutdown()` to stop)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            response = explorer.handle(self.path)
            data = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
            self.send_response(response.status)
            self.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            headers = {"Cache-Control": "no-store", **response.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    threading.Thread(target=server.serve_forever, daemon=True, name="explorer").start()
    return server
