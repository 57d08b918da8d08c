"""`hindsight serve` as an operator runs it: a supervisor process and its children."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from hindsight.domain.sids import Prefix, new_sid
from tests.support.waiting import wait_for

_STARTED = re.compile(r"started (\S+) \(pid (\d+)\)")
_LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")
# Child processes import the whole application; on a loaded 2-core machine that takes a while.
START_SECONDS = 180.0


@dataclass(frozen=True)
class Credentials:
    account_sid: str
    auth_token: str
    secret_key: str

    @classmethod
    def new(cls) -> Credentials:
        return cls(new_sid(Prefix.ACCOUNT), secrets.token_hex(16), secrets.token_hex(32))


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def children(self) -> dict[str, int]:
        """The supervisor's live children by name (web-1, …, background), from the pids it
        logs as it starts each."""
        latest = dict(_STARTED.findall(self.log_text()))
        return {name: int(pid) for name, pid in latest.items() if self._is_child(int(pid))}

    def _is_child(self, pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        fields = stat.rsplit(")", 1)[1].split()
        return fields[0] != "Z" and int(fields[1]) == self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def serve(
    data_dir: Path,
    database_url: str,
    credentials: Credentials,
    *args: str,
    **settings: str,
) -> Served:
    """Start `hindsight serve --port 0 ARGS` and wait until it answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HINDSIGHT_DATA_DIR": str(data_dir),
        "HINDSIGHT_DATABASE_URL": database_url,
        "HINDSIGHT_BOOTSTRAP_ACCOUNT_SID": credentials.account_sid,
        "HINDSIGHT_BOOTSTRAP_AUTH_TOKEN": credentials.auth_token,
        "HINDSIGHT_BOOTSTRAP_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "HINDSIGHT_SECRET_KEY": credentials.secret_key,
        "HINDSIGHT_RATE_LIMIT_LOGIN_PER_MINUTE": "0",
        **{f"HINDSIGHT_{k.upper()}": v for k, v in settings.items()},
    }
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hindsight.cli.main", "serve", "--port", "0", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    served = Served(process, "", log)

    def answering() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"hindsight serve exited:\n{served.log_text()}")
        found = _LISTENING.search(served.log_text())
        if found:
            served.base_url = found.group(1)
        return bool(found) and _healthy(served.base_url)

    try:
        wait_for(answering, "hindsight serve answering", timeout=START_SECONDS, interval=0.25)
    except AssertionError:
        if process.poll() is not None:
            raise  # it exited: the probe's message holds its log
        served.kill()
        raise AssertionError(
            f"hindsight serve did not answer in time:\n{served.log_text()}"
        ) from None
    return served


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
