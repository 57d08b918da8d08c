"""Checking X-Twilio-Signature on what Twilio sends us: Twilio's published vectors, and the same
decisions as twilio-python's RequestValidator."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from hindsight.domain.signature import compute_signature
from hindsight.domain.webhook_signature import (
    body_sha256,
    form_request_is_signed,
    json_request_is_signed,
    url_variants,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
BODY = b'{"property": "value", "boolean": true}'
BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com:443/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443 added
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
    ],
)
def test_twilios_published_form_vectors_verify(url: str, signature: str) -> None:
    assert form_request_is_signed(TOKEN, url, PARAMS, signature)
    assert RequestValidator(TOKEN).validate(url, dict(PARAMS), signature)


def test_twilios_published_json_vector_verifies() -> None:
    assert body_sha256(BODY) == BODY_HASH
    url = f"{URL}&bodySHA256={BODY_HASH}"
    assert json_request_is_signed(TOKEN, url, BODY, "a9nBmqA0ju/hNViExpshrM61xv4=")
    assert not json_request_is_signed(TOKEN, url, BODY + b" ", "a9nBmqA0ju/hNViExpshrM61xv4=")
    assert not json_request_is_signed(TOKEN, URL, BODY, "a9nBmqA0ju/hNViExpshrM61xv4=")


@pytest.mark.parametrize("signature", [None, "", "RSOYDt4T1cUTdK1PDd93/VVr8B8"])
def test_missing_or_wrong_signatures_fail(signature: str | None) -> None:
    assert not form_request_is_signed(TOKEN, URL, PARAMS, signature)
    assert not json_request_is_signed(TOKEN, f"{URL}&bodySHA256={BODY_HASH}", BODY, signature)


def test_url_variants_drop_the_port_and_add_the_default_one() -> None:
    assert url_variants("https://h.example/p?q=1") == [
        "https://h.example/p?q=1",
        "https://h.example:443/p?q=1",
    ]
    assert url_variants("http://127.0.0.1:8080/ingest") == [
        "http://127.0.0.1/ingest",
        "http://127.0.0.1:8080/ingest",
    ]
    assert url_variants("http://[::1]:8080/x")[0] == "http://[::1]/x"


_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=12)


@settings(max_examples=60)
@given(
    params=st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,10}", fullmatch=True), _text),
    port=st.sampled_from(["", ":443", ":8443"]),
    sign_port=st.booleans(),
    tamper=st.booleans(),
)
def test_form_checks_decide_as_twilio_python_does(
    params: dict[str, str], port: str, sign_port: bool, tamper: bool
) -> None:
    url = f"https://hindsight.example{port}/ingest/twilio/IS1/taskrouter?x=1"
    signed_url = url if sign_port or not port else url.replace(port, "")
    signature = compute_signature("token", signed_url, params)
    if tamper:
        params = {**params, "Extra": "1"}
    ours = form_request_is_signed("token", url, list(params.items()), signature)
    assert ours == RequestValidator("token").validate(url, params, signature)


@settings(max_examples=40)
@given(document=st.recursive(st.integers() | st.text(max_size=8), st.lists, max_leaves=8))
def test_json_checks_decide_as_twilio_python_does(document: object) -> None:
    body = json.dumps(document).encode()
    url = (
        f"https://hindsight.example/ingest/twilio/IS1/event-streams?bodySHA256={body_sha256(body)}"
    )
    signature = compute_signature("token", url, {})
    assert json_request_is_signed("token", url, body, signature)
    assert RequestValidator("token").validate(url, body.decode(), signature)
    assert not json_request_is_signed("token", url, body + b"\n", signature)
