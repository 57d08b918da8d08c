"""A real S3-protocol server for the tests (moto's standalone server, a test dependency in
pyproject), and a small HTTP proxy in front of it that can be told to misbehave: answer
slowly, answer 500, stop mid-body, or be down."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.server import free_port
from tests.support.waiting import wait_for

ACCESS_KEY = "testing"
SECRET_KEY = "testing"


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until something accepts connections on the port (or the process died)."""

    def accepting() -> bool:
        if process is not None and process.poll() is not None:
            raise RuntimeError("the S3 server exited at start")
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(accepting, f"something answering on port {port}", timeout=60)


@dataclass
class S3Server:
    process: subprocess.Popen[bytes]
    port: int
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_s3_server(checks_credentials: bool = False) -> S3Server:
    """moto's server; `checks_credentials`: requests must be signed with the access key of
    an IAM user created at start (the first three requests, which create it, are not)."""
    port = free_port()
    env = dict(os.environ)
    if checks_credentials:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_for_port(port, process)
        server = S3Server(process, port)
        if checks_credentials:
            _create_user(server)
    except BaseException:
        process.kill()
        raise
    return server


def _create_user(server: S3Server) -> None:
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    iam.create_user(UserName="hindsight")
    iam.put_user_policy(
        UserName="hindsight",
        PolicyName="everything",
        PolicyDocument='{"Version":"2012-10-17","Statement":'
        '[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    )
    key = iam.create_access_key(UserName="hindsight")["AccessKey"]
    server.access_key, server.secret_key = key["AccessKeyId"], key["SecretAccessKey"]


@dataclass
class Faults:
    """What the proxy does to the next requests (changed by the test while it runs)."""

    mode: str = "pass"  # pass | slow | error500 | down | cut
    delay: float = 0.0
    cut_after: int = 0
    only_method: str | None = None  # apply the fault to this method only (GET, PUT, ...)
    seen: list[str] = field(default_factory=list)


class FaultyProxy:
    """An HTTP proxy on a free port in front of the S3 server."""

    def __init__(self, upstream_port: int) -> None:
        self.faults = Faults()
        self.upstream_port = upstream_port
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                faults = proxy.faults
                faults.seen.append(f"{self.command} {self.path}")
                applies = faults.only_method in (None, self.command)
                if applies and faults.mode == "down":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if applies and faults.mode == "error500":
                    payload = b"<Error><Code>InternalError</Code></Error>"
                    self.send_response(500)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if applies and faults.mode == "slow":
                    time.sleep(faults.delay)
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                self.send_response(answer.status)
                head = self.command == "HEAD"
                for name, value in answer.getheaders():
                    framing = name.lower() in ("transfer-encoding", "content-length")
                    if name.lower() != "connection" and (head or not framing):
                        self.send_header(name, value)
                if not head:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if head:
                    return
                if applies and faults.mode == "cut" and self.command == "GET":
                    self.wfile.write(payload[: faults.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
