"""The ceiling: a bare Starlette endpoint doing one single-row SQLite write per request.

Same server (uvicorn), same SQLite settings as Hindsight (WAL, synchronous=FULL), same
form-encoded request; no auth, validation, events or JSON rendering.
"""

from __future__ import annotations

import sqlite3
import sys
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

path, port = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, attributes TEXT)")
db.executemany(
    "INSERT OR IGNORE INTO tasks (id, attributes) VALUES (?, '{}')", ((i,) for i in range(10_000))
)


async def update(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    task_id = int(request.path_params["task"])
    db.execute("BEGIN")
    db.execute("UPDATE tasks SET attributes = ? WHERE id = ?", (form["Attributes"], task_id))
    db.execute("COMMIT")
    return Response(b'{"ok":true}', media_type="application/json")


async def healthz(_request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[Route("/tasks/{task}", update, methods=["POST"]), Route("/healthz", healthz)]
)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
