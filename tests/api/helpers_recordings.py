"""Uploading and inspecting recordings in the recording tests, over HTTP against a real server."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from hindsight.auth.accounts import IssuedAccount
from hindsight.store.schema import recordings
from tests.api.helpers_routing import Floor, floor
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for

API = "/api/v1/recordings"


def random_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Handled:
    task_sid: str
    reservation_sid: str


@dataclass
class Tenant:
    """An account with a routing floor where tasks can be offered, accepted and completed."""

    server: RunningServer
    account: IssuedAccount
    floor: Floor
    workflow_sid: str
    worker_sid: str
    tasks: list[Handled] = field(default_factory=list)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account.sid, self.account.auth_token)

    @property
    def workspace_sid(self) -> str:
        return self.floor.sid

    def url(self, path: str = "") -> str:
        return f"{self.server.base_url}{API}{path}"

    def handle(self, attributes: dict[str, Any], *, complete: bool = True) -> Handled:
        """A task offered to the one worker, accepted and (unless told) wrapped and completed."""
        api = self.floor.api
        task = api.tasks.create(workflow_sid=self.workflow_sid, attributes=json.dumps(attributes))
        reservation = self.floor.pending_one(task.sid)
        self.floor.answer(reservation, reservation_status="accepted")
        if complete:
            api.tasks(task.sid).update(assignment_status="wrapping")
            api.tasks(task.sid).update(assignment_status="completed", reason="done")
        handled = Handled(task.sid, reservation.sid)
        self.tasks.append(handled)
        return handled

    def upload(
        self,
        data: bytes,
        *,
        filename: str = "call.wav",
        content_type: str = "application/octet-stream",
        **fields: str,
    ) -> httpx.Response:
        return httpx.post(
            self.url(),
            files={"file": (filename, data, content_type)},
            data=fields,
            auth=self.auth,
            timeout=60,
        )

    def created(self, data: bytes, **fields: str) -> dict[str, Any]:
        response = self.upload(data, **fields)
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, path: str = "", **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url(path), auth=self.auth, timeout=60, **kwargs)

    # --- what is stored ---------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The account's recording files, and any temporary file of an upload in progress."""
        root = self.server.runtime.settings.data_dir / "recordings"
        own = (
            sorted((root / self.account.sid).glob("*"))
            if (root / self.account.sid).exists()
            else []
        )
        return own + sorted((root / ".incoming").glob("*"))

    def rows(self) -> int:
        def count(conn: Any) -> int:
            query = select(func.count()).where(recordings.c.account_sid == self.account.sid)
            return conn.execute(query).scalar_one()

        return self.server.runtime.db.read_sync(count)


def tenant(server: RunningServer, name: str) -> Tenant:
    account = server.new_account(name)
    client = client_for(server.base_url, account.sid, account.auth_token)
    f = floor(client, name)
    queue = f.queue("Calls")
    workflow = f.workflow("All", default_queue=queue.sid)
    worker = f.worker("Agent")
    return Tenant(server, account, f, workflow.sid, worker.sid)
