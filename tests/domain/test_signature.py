"""X-Twilio-Signature, checked against the vectors of Twilio's own helper library tests and
against the helper library's validator itself."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from hindsight.domain.signature import compute_signature, signature_matches

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_matches_twilios_published_vector():
    assert compute_signature("12345", URL, PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_request_validator_accepts_our_signature():
    token = "0123456789abcdef0123456789abcdef"
    params = {"EventType": "task.created", "TaskAttributes": '{"a": "é & ü"}', "Sid": "EV1"}
    signature = compute_signature(token, "http://127.0.0.1:9000/events", params)
    assert RequestValidator(token).validate("http://127.0.0.1:9000/events", params, signature)


def test_signature_depends_on_token_url_and_every_parameter():
    base = compute_signature("t", URL, PARAMS)
    assert compute_signature("u", URL, PARAMS) != base
    assert compute_signature("t", URL + "&x=1", PARAMS) != base
    assert compute_signature("t", URL, {**PARAMS, "Digits": "1235"}) != base


def test_repeated_parameters_are_sorted_values_of_one_name():
    pairs = [("B", "2"), ("A", "z"), ("A", "y")]
    assert compute_signature("t", URL, pairs) == compute_signature(
        "t", URL, [("A", "y"), ("A", "z"), ("B", "2")]
    )


def test_signature_matches_is_strict():
    good = compute_signature("12345", URL, PARAMS)
    assert signature_matches("12345", URL, PARAMS, good)
    assert not signature_matches("12345", URL, PARAMS, good[:-2] + "A=")
