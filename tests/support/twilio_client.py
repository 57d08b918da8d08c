"""The official `twilio` package, pointed at a Hindsight server, checking every response."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.support.contract import validate_response


class ContractCheckingHttpClient(TwilioHttpClient):
    """Sends requests as the helper library does, then validates the answer against the spec."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[tuple[str, str, int]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        response = super().request(method, url, *args, **kwargs)
        path = urlsplit(url).path
        self.responses.append((method, path, response.status_code))
        if response.text:
            validate_response(method, path, response.status_code, json.loads(response.text))
        return response


def client_for(base_url: str, username: str, password: str) -> Client:
    client = Client(username, password, http_client=ContractCheckingHttpClient())
    client.taskrouter.base_url = base_url
    client.api.base_url = base_url
    client.conversations.base_url = base_url
    return client
