"""Requests the helper library would never send: bad credentials, bad bodies, bad paths.

Every one must get a 4xx in Twilio's error format, change nothing, and never a 5xx.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.rest import Client

from tests.api.helpers_tasks import (
    NO_TASK,
    NO_WORKSPACE,
    assert_twilio_error,
    key_client,
    ws_api,
)
from tests.support.server import RunningServer
from tests.support.twilio_errors import twilio_error

BODY_LIMIT = 256 * 1024
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def anonymous(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as raw_client:
        yield raw_client


@pytest.fixture
def tasks_path(fifo: Any) -> str:
    return f"/v1/Workspaces/{fifo.sid}/Tasks"


@pytest.fixture
def task(raw: httpx.Client, tasks_path: str) -> dict[str, Any]:
    response = raw.post(tasks_path, data={"Attributes": '{"secret": "s3cr3t"}', "Priority": "1"})
    assert response.status_code == 201, response.text
    return response.json()


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _task_count(raw: httpx.Client, tasks_path: str) -> int:
    response = raw.get(tasks_path)
    assert response.status_code == 200, response.text
    return len(response.json()["tasks"])


# --- authentication ----------------------------------------------------------------------------


def test_request_without_credentials_is_401_with_a_basic_challenge(
    anonymous: httpx.Client,
) -> None:
    response = anonymous.get("/v1/Workspaces")

    assert_twilio_error(response, 401, 20003)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


_BAD_AUTHORIZATION: dict[str, Callable[[Any], str]] = {
    "wrong-token": lambda a: _basic(a.sid, "0" * 32),
    "empty-token": lambda a: _basic(a.sid, ""),
    "unknown-account": lambda a: _basic("AC" + "1" * 32, a.auth_token),
    "username-not-a-sid": lambda a: _basic("alice", a.auth_token),
    "lowercase-sid-prefix": lambda a: _basic("ac" + a.sid[2:], a.auth_token),
    "bearer-scheme": lambda a: f"Bearer {a.auth_token}",
    "scheme-only": lambda _a: "Basic",
    "not-base64": lambda _a: "Basic !!!not-base64!!!",
    "no-colon": lambda a: "Basic " + base64.b64encode(a.sid.encode()).decode(),
    "not-utf8": lambda _a: "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode(),
}


@pytest.mark.parametrize("make_header", _BAD_AUTHORIZATION.values(), ids=_BAD_AUTHORIZATION)
def test_bad_credentials_are_401_with_a_basic_challenge(
    anonymous: httpx.Client, account: Any, make_header: Callable[[Any], str]
) -> None:
    response = anonymous.get("/v1/Workspaces", headers={"Authorization": make_header(account)})

    assert_twilio_error(response, 401, 20003)
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unauthenticated_write_changes_nothing(
    anonymous: httpx.Client, raw: httpx.Client, tasks_path: str
) -> None:
    response = anonymous.post(tasks_path, data={"Attributes": "{}"})

    assert_twilio_error(response, 401, 20003)
    assert _task_count(raw, tasks_path) == 0


def test_api_key_authenticates_for_its_account(
    server: RunningServer, client: Client, fifo: Any
) -> None:
    key = client.new_keys.create(friendly_name="ci")

    with httpx.Client(base_url=server.base_url, auth=(key.sid, key.secret)) as keyed:
        response = keyed.get(f"/v1/Workspaces/{fifo.sid}")

    assert response.status_code == 200, response.text
    assert response.json()["sid"] == fifo.sid


def test_api_key_with_wrong_secret_is_401(server: RunningServer, client: Client, fifo: Any) -> None:
    key = client.new_keys.create(friendly_name="ci")

    with httpx.Client(base_url=server.base_url, auth=(key.sid, "x" * 32)) as keyed:
        response = keyed.get(f"/v1/Workspaces/{fifo.sid}")

    assert_twilio_error(response, 401, 20003)


def test_deleted_api_key_no_longer_authenticates(
    server: RunningServer, client: Client, fifo: Any
) -> None:
    key = client.new_keys.create(friendly_name="ci")
    with httpx.Client(base_url=server.base_url, auth=(key.sid, key.secret)) as keyed:
        assert keyed.get(f"/v1/Workspaces/{fifo.sid}").status_code == 200

        client.keys(key.sid).delete()

        assert_twilio_error(keyed.get(f"/v1/Workspaces/{fifo.sid}"), 401, 20003)


@pytest.mark.parametrize("action", ["create", "list"])
def test_api_key_cannot_manage_api_keys(
    server: RunningServer, client: Client, account: Any, action: str
) -> None:
    key = client.new_keys.create(friendly_name="ci")
    keyed = key_client(server, key.sid, key.secret, account.sid)

    with twilio_error(403, 20403, "API keys"):
        if action == "create":
            keyed.new_keys.create(friendly_name="escalation")
        else:
            keyed.keys.list()
    assert [k.sid for k in client.keys.list()] == [key.sid]


def test_api_key_of_another_account_cannot_reach_this_workspace(
    server: RunningServer, fifo: Any
) -> None:
    other = server.new_account("stranger")
    with httpx.Client(base_url=server.base_url, auth=(other.sid, other.auth_token)) as stranger:
        created = stranger.post(f"/2010-04-01/Accounts/{other.sid}/Keys.json", data={})
        assert created.status_code == 201, created.text
        key = created.json()

    with httpx.Client(base_url=server.base_url, auth=(key["sid"], key["secret"])) as keyed:
        response = keyed.get(f"/v1/Workspaces/{fifo.sid}/Tasks")

    assert_twilio_error(response, 404, 20404)


# --- parameters --------------------------------------------------------------------------------


def test_misspelt_parameter_on_create_is_refused_by_name(
    raw: httpx.Client, tasks_path: str
) -> None:
    response = raw.post(tasks_path, data={"Atributes": '{"a": 1}'})

    body = assert_twilio_error(response, 400, 20001)
    assert "Atributes" in body["message"]
    assert _task_count(raw, tasks_path) == 0


def test_misspelt_parameter_on_update_is_refused_and_changes_nothing(
    raw: httpx.Client, tasks_path: str, task: dict[str, Any]
) -> None:
    response = raw.post(f"{tasks_path}/{task['sid']}", data={"Priority": "5", "Reson": "x"})

    body = assert_twilio_error(response, 400, 20001)
    assert "Reson" in body["message"]
    assert raw.get(f"{tasks_path}/{task['sid']}").json()["priority"] == 1


def test_misspelt_list_filter_is_refused_by_name(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.get(tasks_path, params={"Priorty": "1"})

    body = assert_twilio_error(response, 400, 20001)
    assert "Priorty" in body["message"]


def test_parameter_given_twice_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.post(tasks_path, content=b"Priority=1&Priority=2", headers=FORM)

    body = assert_twilio_error(response, 400, 20001)
    assert "Priority" in body["message"]
    assert _task_count(raw, tasks_path) == 0


def test_query_parameter_given_twice_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.get(tasks_path, params=[("Priority", "1"), ("Priority", "2")])

    assert_twilio_error(response, 400, 20001)


@pytest.mark.parametrize(
    ("method", "suffix", "params"),
    [
        ("POST", "/Tasks", {"TaskChannel": "vo\x00ice"}),
        ("POST", "/Tasks", {"Attributes": '{"a": 1}', "Reason\x00": "x"}),
        ("POST", "/Tasks/{task}", {"AssignmentStatus": "canceled", "Reason": "a\x00b"}),
        ("POST", "/Tasks/{task}", {"TaskChannel": "\x00"}),
        ("GET", "/Tasks", {"WorkflowName": "a\x00b"}),
        ("GET", "/Tasks", {"EvaluateTaskAttributes": 'a == "\x00"'}),
        ("GET", "/Events", {"EventType": "task.\x00"}),
        ("GET", "/Events", {"TaskChannel": "\x00"}),
        ("POST", "", {"FriendlyName": "nul\x00name"}),
    ],
    ids=[
        "create-channel",
        "create-name",
        "update-reason",
        "update-channel",
        "list-workflow-name",
        "list-expression",
        "events-type",
        "events-channel",
        "workspace-name",
    ],
)
def test_nul_characters_are_refused(
    raw: httpx.Client,
    fifo: Any,
    task: dict[str, Any],
    method: str,
    suffix: str,
    params: dict[str, str],
) -> None:
    path = f"/v1/Workspaces/{fifo.sid}" + suffix.format(task=task["sid"])
    where = {"params": params} if method == "GET" else {"data": params}
    response = raw.request(method, path, **where)

    body = assert_twilio_error(response, 400, 20001)
    assert "NUL" in body["message"]
    fetched = raw.get(f"/v1/Workspaces/{fifo.sid}/Tasks/{task['sid']}").json()
    assert (fetched["assignment_status"], fetched["task_channel_unique_name"]) == (
        "pending",
        "default",
    )


@pytest.mark.parametrize(
    ("method", "suffix", "name"),
    [
        ("GET", "/Tasks", "Priority"),
        ("GET", "/Tasks", "Page"),
        ("GET", "/Tasks", "PageSize"),
        ("GET", "/Events", "Minutes"),
        ("GET", "/Events", "Page"),
        ("POST", "/Tasks", "Timeout"),
        ("POST", "/Tasks", "Priority"),
        ("POST", "/Tasks/{task}", "Priority"),
    ],
)
def test_integers_beyond_64_bits_are_refused(
    raw: httpx.Client, fifo: Any, task: dict[str, Any], method: str, suffix: str, name: str
) -> None:
    path = f"/v1/Workspaces/{fifo.sid}" + suffix.format(task=task["sid"])
    huge = {name: str(10**30)}
    response = raw.get(path, params=huge) if method == "GET" else raw.post(path, data=huge)

    body = assert_twilio_error(response, 400, 20001)
    assert name in body["message"]


@pytest.mark.parametrize("value", ["1.5", "1e3", "one", "", " ", "0x10"])
def test_non_integer_priority_is_refused(raw: httpx.Client, tasks_path: str, value: str) -> None:
    response = raw.post(tasks_path, data={"Priority": value})

    body = assert_twilio_error(response, 400, 20001)
    assert "Priority" in body["message"]
    assert _task_count(raw, tasks_path) == 0


@pytest.mark.parametrize("value", ["maybe", "", "2"])
def test_non_boolean_is_refused(raw: httpx.Client, tasks_path: str, value: str) -> None:
    response = raw.get(tasks_path, params={"HasAddons": value})

    body = assert_twilio_error(response, 400, 20001)
    assert "HasAddons" in body["message"]


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "2024-01-01T25:00:00Z"])
def test_malformed_date_is_refused(raw: httpx.Client, tasks_path: str, value: str) -> None:
    response = raw.post(tasks_path, data={"VirtualStartTime": value})

    body = assert_twilio_error(response, 400, 20001)
    assert "VirtualStartTime" in body["message"]


# --- bodies ------------------------------------------------------------------------------------


def test_body_over_the_limit_is_413(raw: httpx.Client, tasks_path: str) -> None:
    body = b"Attributes=" + b"x" * BODY_LIMIT

    response = raw.post(tasks_path, content=body, headers=FORM)

    assert_twilio_error(response, 413, 20413)
    assert _task_count(raw, tasks_path) == 0


def test_streamed_body_over_the_limit_is_413(raw: httpx.Client, tasks_path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"Attributes="
        for _ in range(BODY_LIMIT // 4096 + 1):
            yield b"x" * 4096

    response = raw.post(tasks_path, content=chunks(), headers=FORM)

    assert "content-length" not in response.request.headers
    assert_twilio_error(response, 413, 20413)
    assert _task_count(raw, tasks_path) == 0


def test_body_just_under_the_limit_is_read(raw: httpx.Client, tasks_path: str) -> None:
    prefix = b"Attributes=%7B%7D&Unknown="
    body = prefix + b"x" * (BODY_LIMIT - len(prefix))

    response = raw.post(tasks_path, content=body, headers=FORM)

    body_json = assert_twilio_error(response, 400, 20001)
    assert "Unknown" in body_json["message"]


def test_body_that_is_not_utf8_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.post(tasks_path, content=b"Attributes=\xff\xfe", headers=FORM)

    body = assert_twilio_error(response, 400, 20001)
    assert "UTF-8" in body["message"]
    assert _task_count(raw, tasks_path) == 0


def test_percent_encoded_bytes_that_are_not_utf8_are_refused(
    raw: httpx.Client, tasks_path: str
) -> None:
    response = raw.post(tasks_path, content=b"Attributes=%7B%7D&TaskChannel=%FF", headers=FORM)

    assert_twilio_error(response, 400, 20001)
    assert _task_count(raw, tasks_path) == 0


def test_json_body_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.post(tasks_path, json={"Attributes": "{}"})

    body = assert_twilio_error(response, 400, 20001)
    assert "application/x-www-form-urlencoded" in body["message"]
    assert _task_count(raw, tasks_path) == 0


def test_multipart_body_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.post(tasks_path, files={"Attributes": ("a.json", b"{}")})

    assert_twilio_error(response, 400, 20001)
    assert _task_count(raw, tasks_path) == 0


def test_body_that_is_not_a_form_is_refused(raw: httpx.Client, tasks_path: str) -> None:
    response = raw.post(tasks_path, content=b"just some text", headers=FORM)

    assert_twilio_error(response, 400, 20001)
    assert _task_count(raw, tasks_path) == 0


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/Workspaces/WS123/Tasks", ("GET", "POST")),
        ("/v1/Workspaces/ws{hex}/Tasks", ("GET", "POST")),
        ("/v1/Workspaces/WQ{hex}/Tasks", ("GET", "POST")),
        ("/v1/Workspaces/WS{hex}0/Tasks", ("GET", "POST")),
        ("/v1/Workspaces/WS123", ("GET", "POST", "DELETE")),
        ("/v1/Workspaces/{ws}/Tasks/WT123", ("GET", "POST", "DELETE")),
        ("/v1/Workspaces/{ws}/Tasks/WK{hex}", ("GET", "POST", "DELETE")),
        ("/v1/Workspaces/{ws}/Tasks/WT{bad_hex}", ("GET", "POST", "DELETE")),
        ("/v1/Workspaces/{ws}/Tasks/wt{hex}", ("GET", "POST", "DELETE")),
        ("/v1/Workspaces/{ws}/Events/EV123", ("GET",)),
        ("/v1/Workspaces/{ws}/Tasks/{task}/Nope", ("GET", "POST", "DELETE")),
        ("/v1/Nothing", ("GET", "POST", "DELETE")),
    ],
)
def test_malformed_path_is_404(
    raw: httpx.Client, fifo: Any, task: dict[str, Any], path: str, methods: tuple[str, ...]
) -> None:
    url = path.format(ws=fifo.sid, task=task["sid"], hex="a" * 32, bad_hex="g" * 32)

    for method in methods:
        data = {"Priority": "9"} if method == "POST" else None
        body = assert_twilio_error(raw.request(method, url, data=data), 404, 20404)
        assert "was not found" in body["message"]
    assert raw.get(f"/v1/Workspaces/{fifo.sid}/Tasks/{task['sid']}").json()["priority"] == 1


def test_unsupported_method_is_405(raw: httpx.Client, tasks_path: str) -> None:
    assert_twilio_error(raw.put(tasks_path, data={"Priority": "1"}), 405)


def test_missing_task_is_404(raw: httpx.Client, tasks_path: str) -> None:
    body = assert_twilio_error(raw.get(f"{tasks_path}/{NO_TASK}"), 404, 20404)

    assert NO_TASK in body["message"]


def test_missing_workspace_is_404(raw: httpx.Client) -> None:
    response = raw.post(f"/v1/Workspaces/{NO_WORKSPACE}/Tasks", data={"Attributes": "{}"})

    assert_twilio_error(response, 404, 20404)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("POST", ""),
        ("DELETE", ""),
        ("GET", "/Tasks"),
        ("POST", "/Tasks"),
        ("GET", "/Tasks/{task}"),
        ("POST", "/Tasks/{task}"),
        ("DELETE", "/Tasks/{task}"),
        ("GET", "/Events"),
    ],
)
def test_another_accounts_workspace_and_tasks_are_404_and_untouched(
    server: RunningServer,
    raw: httpx.Client,
    fifo: Any,
    task: dict[str, Any],
    method: str,
    suffix: str,
) -> None:
    other = server.new_account("stranger")
    path = f"/v1/Workspaces/{fifo.sid}" + suffix.format(task=task["sid"])
    data = {"Priority": "7"} if suffix.startswith("/Tasks") else {"FriendlyName": "Hijacked"}

    with httpx.Client(base_url=server.base_url, auth=(other.sid, other.auth_token)) as stranger:
        response = stranger.request(method, path, data=data if method == "POST" else None)

    assert_twilio_error(response, 404, 20404)
    assert "s3cr3t" not in response.text
    assert raw.get(f"/v1/Workspaces/{fifo.sid}").json()["friendly_name"] == fifo.friendly_name
    fetched = raw.get(f"/v1/Workspaces/{fifo.sid}/Tasks/{task['sid']}").json()
    assert (fetched["priority"], fetched["attributes"]) == (1, '{"secret": "s3cr3t"}')
    assert _task_count(raw, f"/v1/Workspaces/{fifo.sid}/Tasks") == 1


def test_own_task_under_another_accounts_workspace_is_404(
    server: RunningServer, raw: httpx.Client, task: dict[str, Any]
) -> None:
    other = server.new_account("stranger")
    with httpx.Client(base_url=server.base_url, auth=(other.sid, other.auth_token)) as stranger:
        theirs = stranger.post("/v1/Workspaces", data={"FriendlyName": "Theirs"}).json()

    response = raw.get(f"/v1/Workspaces/{theirs['sid']}/Tasks/{task['sid']}")

    assert_twilio_error(response, 404, 20404)
    assert "s3cr3t" not in response.text


# --- fuzzing -----------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_NUMBERISH = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
_SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "{}",
        "[]",
        "null",
        '{"a": 1}',
        '{"a": ' * 50,
        "true",
        "default",
        "voice",
        "canceled",
        "completed",
        "wrapping",
        "pending",
        "2024-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "WT" + "0" * 32,
        "WK" + "a" * 32,
        "WQ" + "f" * 32,
        "WW" + "1" * 32,
        "TC" + "2" * 32,
        "Priority:desc",
        "DateCreated:asc,Priority:desc",
        'type == "call"',
        "PTeyJkIjoiYSJ9",
        "%00",
        "\u202e",
        "é" * 20,
    ]
)
# Values that have broken servers like this one: NUL (PostgreSQL text refuses it), integers
# beyond 64 bits (both databases refuse to bind them), digit strings too long for int().
_NASTY = st.sampled_from(
    [
        "\x00",
        "voice\x00",
        str(2**63),
        str(-(2**63) - 1),
        str(10**30),
        "9" * 5000,
        " 7 ",
        "\u0661\u0662",
        "1_000",
        "\ufeff1",
    ]
)
_VALUE = st.one_of(_TEXT, _NUMBERISH, _SPECIAL, _NASTY, _NASTY)

_CREATE = [
    "Timeout",
    "Priority",
    "TaskChannel",
    "WorkflowSid",
    "Attributes",
    "VirtualStartTime",
    "RoutingTarget",
    "IgnoreCapacity",
    "TaskQueueSid",
]
_UPDATE = [
    "Attributes",
    "AssignmentStatus",
    "Reason",
    "Priority",
    "TaskChannel",
    "VirtualStartTime",
]
_LIST = [
    "Priority",
    "AssignmentStatus",
    "WorkflowSid",
    "WorkflowName",
    "TaskQueueSid",
    "TaskQueueName",
    "EvaluateTaskAttributes",
    "RoutingTarget",
    "Ordering",
    "HasAddons",
    "PageSize",
    "Page",
    "PageToken",
]
_EVENTS = [
    "EndDate",
    "EventType",
    "Minutes",
    "ReservationSid",
    "StartDate",
    "TaskQueueSid",
    "TaskSid",
    "WorkerSid",
    "WorkflowSid",
    "TaskChannel",
    "Sid",
    "PageSize",
    "Page",
    "PageToken",
]


def _others(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """At most one more parameter, so the fuzzed one is usually what the server judges."""
    return st.lists(st.tuples(st.sampled_from(names), _VALUE), max_size=1)


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _form(params: list[tuple[str, str]]) -> bytes:
    return urlencode(params).encode()


def _assert_answered_sanely(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_twilio_error(response, response.status_code)


@pytest.mark.parametrize("name", [*_CREATE, "Atributes"])
@_fuzz(25)
@given(value=_VALUE, others=_others(_CREATE))
def test_fuzzed_task_create_never_answers_5xx(
    raw: httpx.Client, tasks_path: str, name: str, value: str, others: list[tuple[str, str]]
) -> None:
    body = _form([(name, value), *others])

    _assert_answered_sanely(raw.post(tasks_path, content=body, headers=FORM))


@pytest.mark.parametrize("name", _UPDATE)
@_fuzz(40)
@given(value=_VALUE, others=_others(_UPDATE))
def test_fuzzed_task_update_never_answers_5xx(
    raw: httpx.Client,
    tasks_path: str,
    task: dict[str, Any],
    name: str,
    value: str,
    others: list[tuple[str, str]],
) -> None:
    body = _form([(name, value), *others])

    _assert_answered_sanely(raw.post(f"{tasks_path}/{task['sid']}", content=body, headers=FORM))


@pytest.mark.parametrize("name", _LIST)
@_fuzz(20)
@given(value=_VALUE, others=_others(_LIST))
def test_fuzzed_task_list_never_answers_5xx(
    raw: httpx.Client,
    tasks_path: str,
    task: dict[str, Any],
    name: str,
    value: str,
    others: list[tuple[str, str]],
) -> None:
    _assert_answered_sanely(raw.get(tasks_path, params=[(name, value), *others]))


@pytest.mark.parametrize("name", _EVENTS)
@_fuzz(20)
@given(value=_VALUE, others=_others(_EVENTS))
def test_fuzzed_events_list_never_answers_5xx(
    raw: httpx.Client,
    fifo: Any,
    task: dict[str, Any],
    name: str,
    value: str,
    others: list[tuple[str, str]],
) -> None:
    path = f"/v1/Workspaces/{fifo.sid}/Events"

    _assert_answered_sanely(raw.get(path, params=[(name, value), *others]))


@_fuzz(50)
@given(body=st.binary(max_size=200))
def test_fuzzed_raw_body_never_answers_5xx(
    raw: httpx.Client, tasks_path: str, task: dict[str, Any], body: bytes
) -> None:
    _assert_answered_sanely(raw.post(f"{tasks_path}/{task['sid']}", content=body, headers=FORM))


def test_twilio_client_sees_the_same_error_body(client: Client, fifo: Any) -> None:
    with twilio_error(404, 20404, NO_TASK):
        ws_api(client, fifo.sid).tasks(NO_TASK).fetch()
