"""Custom media in task attributes (flex-insights-domain.md §1 and the §8 checklist).

Pure rules, no database: parsing and checking media lists, and resolving which media a segment
shows. Tests are named after the checklist item they cover.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.domain import conversation_attributes as conv
from hindsight.domain import media
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.media import MediaError, MediaItem, MediaLists
from hindsight.insights.derive import media_document

WR_A = "WR" + "a" * 32
WR_B = "WR" + "b" * 32
CH = "CH0123456789abcdef0123456789abcdef"
NOV_21 = 1_574_350_320_000  # 2019-11-21T15:32:00Z, CUSTOM-MEDIA's example start_time
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RAW = {"type": "Raw", "url": "https://crm.example.org/raw/1", "title": "CRM"}
EMBEDDED = {"type": "Embedded", "url": "https://crm.example.org/case/8812", "title": "Case 8812"}
REFERENCED = {"type": "Referenced", "url": "https://tickets.example.org/T-77", "title": "T-77"}
RECORDING = {
    "type": "VoiceRecording",
    "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    "start_time": NOV_21,
    "channels": ["customer", "others"],
    "title": "Call (dual channel)",
}
PROVIDED = {"type": "VoiceRecording", "url_provider": "https://rec.example.org/sec?recording=RE2"}
TRANSCRIPT = {"type": "ChatTranscript", "sid": CH}
VALID = {
    "Raw": RAW,
    "Embedded": EMBEDDED,
    "Referenced": REFERENCED,
    "VoiceRecording": RECORDING,
    "ChatTranscript": TRANSCRIPT,
}


def task_list(*items: dict) -> dict:
    return {"conversations": {"media": list(items)}}


def strict(attributes: dict) -> MediaLists:
    return media.media_lists(attributes, strict=True)


def refused(attributes: dict) -> MediaError:
    with pytest.raises(MediaError) as caught:
        strict(attributes)
    return caught.value


def item(kind: str, index: int = 0, **fields) -> MediaItem:
    return MediaItem(kind, index, **fields)


# --- 1. ingest shapes -------------------------------------------------------------------------


def test_item_1_root_and_task_attributes_wrapper_give_identical_lists():
    inner = {
        "conversations": {"media": [EMBEDDED, RECORDING, TRANSCRIPT]},
        "reservation_attributes": {WR_A: {"media": [PROVIDED, REFERENCED]}},
    }
    root = strict(inner)
    wrapped = strict({"task_attributes": inner, "type": "inbound"})
    assert wrapped == root
    assert [i.type for i in root.task or []] == ["Embedded", "VoiceRecording", "ChatTranscript"]
    assert [i.type for i in root.reservations[WR_A]] == ["VoiceRecording", "Referenced"]
    # The lenient reading (events from Twilio) agrees on both shapes too.
    assert media.media_lists({"task_attributes": inner}, strict=False) == media.media_lists(
        inner, strict=False
    )


def test_item_1_a_wrapper_holding_only_reservation_media_is_read_the_same_everywhere():
    """`{"task_attributes": {"reservation_attributes": …}}` (no `conversations`) is the wrapped
    shape too: the media rules, the attribute reader and the HIPAA filter must all see through it.
    """
    inner = {"reservation_attributes": {WR_B: {"media": [RECORDING]}}}
    wrapped = {"task_attributes": inner}
    assert strict(wrapped) == strict(inner)
    assert conv.unwrap(wrapped) == inner
    # The HIPAA allow-list keeps reservation_attributes: the wrapped media must survive it.
    assert strict(conv.hipaa_filter(wrapped)) == strict(inner)


def test_item_1_media_absent_means_no_list_and_reservations_without_media_are_skipped():
    lists = strict({"conversations": {"conversation_id": "C1"}, "reservation_attributes": {}})
    assert lists == MediaLists(task=None, reservations={}, problems=())
    lists = strict({"reservation_attributes": {WR_A: {"note": "no media here"}}})
    assert lists.reservations == {}


# --- 2. type validation -----------------------------------------------------------------------


def test_item_2_type_validation_accepts_exactly_the_five_types():
    assert media.TYPES == ("Raw", "Embedded", "Referenced", "VoiceRecording", "ChatTranscript")
    for kind, raw in VALID.items():
        (parsed,) = strict(task_list(raw)).task or []
        assert parsed.type == kind
        assert parsed.warnings == ()


@pytest.mark.parametrize(
    ("kind", "display"),
    [
        ("Raw", "external"),
        ("Embedded", "iframe"),
        ("Referenced", "link"),
        ("VoiceRecording", "player"),
        ("ChatTranscript", "transcript"),
    ],
)
def test_item_2_each_type_has_its_display_mode(kind, display):
    assert media.parse_item(VALID[kind], 0, "m").display == display


def test_item_2_the_interactions_conversation_sid_form_is_a_chat_transcript():
    parsed = media.parse_item({"conversation_sid": CH}, 0, "m")
    assert (parsed.type, parsed.sid, parsed.display) == ("ChatTranscript", CH, "transcript")
    with pytest.raises(MediaError) as caught:
        media.parse_item({"conversation_sid": "CH123"}, 0, "conversations.media[0]")
    assert caught.value.path == "conversations.media[0].sid"


@pytest.mark.parametrize("written", ["Transcript", "Video", "Recording", "", "Raw ", "VoiceRec"])
def test_item_2_any_other_type_is_refused_listing_the_allowed_values(written):
    error = refused(task_list(EMBEDDED, {"type": written, "url": "https://x.example.org"}))
    assert isinstance(error, InvalidParameter)  # a 400 through the API
    assert error.path == "conversations.media[1].type"
    assert "Raw, Embedded, Referenced, VoiceRecording, ChatTranscript" in error.message
    assert repr(written) in error.message


@pytest.mark.parametrize("raw", [{"url": "https://x.example.org"}, {"type": 3}, {"type": None}])
def test_item_2_a_missing_or_non_text_type_is_refused(raw):
    error = refused(task_list(raw))
    assert error.path == "conversations.media[0].type"
    assert "one of Raw, Embedded, Referenced, VoiceRecording, ChatTranscript" in error.message


# --- 3. field rules ---------------------------------------------------------------------------

BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript://x.example.org/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "file:///etc/passwd",
    "ftp://files.example.org/a.wav",
    "/recordings/RE1",
    "recordings/RE1",
    "//cdn.example.org/a.wav",
    "https://",
    "https:///path-only",
    "https://exa mple.org/",
    " https://x.example.org/",
    "https://x.example.org/\n",
    "https://x.example.org/a\r\nSet-Cookie: a=b",
    "",
    "   ",
]


@pytest.mark.parametrize("kind", ["Raw", "Embedded", "Referenced"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_item_3_link_types_require_an_absolute_http_or_https_url(kind, url):
    error = refused(task_list(TRANSCRIPT, {"type": kind, "url": url, "title": "x"}))
    assert error.path == "conversations.media[1].url"
    assert "absolute http or https URL" in error.message


@pytest.mark.parametrize("kind", ["Raw", "Embedded", "Referenced"])
def test_item_3_link_types_require_a_url(kind):
    error = refused(task_list({"type": kind, "title": "no url"}))
    assert error.path == "conversations.media[0].url"


@pytest.mark.parametrize("field", ["url", "url_provider"])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:audio/wav;base64,AA==", "/a.wav"])
def test_item_3_recording_urls_and_providers_must_be_absolute_http(field, url):
    error = refused(task_list({"type": "VoiceRecording", field: url}))
    assert error.path == f"conversations.media[0].{field}"


def test_item_3_a_voice_recording_needs_exactly_one_of_url_and_url_provider():
    neither = refused(task_list({"type": "VoiceRecording", "title": "Call"}))
    both = refused(task_list({**RECORDING, "url_provider": PROVIDED["url_provider"]}))
    for error in (neither, both):
        assert error.path == "conversations.media[0].url"
        assert "exactly one of url and url_provider" in error.message
    by_provider = media.parse_item(PROVIDED, 0, "m")
    assert (by_provider.url, by_provider.url_provider) == (None, PROVIDED["url_provider"])


@pytest.mark.parametrize(
    "sid",
    [
        None,
        "",
        "CH123",
        "ch0123456789abcdef0123456789abcdef",
        "WT0123456789abcdef0123456789abcdef",
        "CH0123456789abcdef0123456789abcdeg",
        "CH0123456789abcdef0123456789abcdef0",
        "CH0123456789abcdef0123456789abcdef\n",
        12,
    ],
)
def test_item_3_a_chat_transcript_needs_a_chat_channel_sid(sid):
    error = refused(task_list({"type": "ChatTranscript", "sid": sid}))
    assert error.path == "conversations.media[0].sid"
    assert "CH + 32 hex digits" in error.message


@pytest.mark.parametrize("channels", [[], "customer,others", ["customer", 2], {"0": "x"}, None])
def test_item_3_channels_must_be_a_non_empty_list_of_names(channels):
    error = refused(task_list({**RECORDING, "channels": channels}))
    assert error.path == "conversations.media[0].channels"


@pytest.mark.parametrize("title", [5, ["Call"], {"t": 1}, True])
def test_item_3_a_title_must_be_text(title):
    error = refused(task_list({**EMBEDDED, "title": title}))
    assert error.path == "conversations.media[0].title"


def test_item_3_optional_fields_may_be_left_out():
    assert media.parse_item({"type": "Embedded", "url": EMBEDDED["url"]}, 0, "m").title is None
    bare = media.parse_item({"type": "VoiceRecording", "url": RECORDING["url"]}, 0, "m")
    assert (bare.start_time_ms, bare.channels, bare.title) == (None, None, None)
    assert bare.as_dict() == {"type": "VoiceRecording", "url": RECORDING["url"]}


@pytest.mark.parametrize("raw", [["not", "an", "object"], "Raw", 5, None])
def test_item_3_an_item_that_is_not_an_object_is_refused(raw):
    assert refused(task_list(EMBEDDED, raw)).path == "conversations.media[1]"


@pytest.mark.parametrize("raw", [{"type": "Raw"}, "Raw", None])
def test_item_3_a_media_value_that_is_not_a_list_is_refused(raw):
    assert refused({"conversations": {"media": raw}}).path == "conversations.media"


def test_item_3_errors_name_the_reservation_item_and_field():
    error = refused(
        {
            "conversations": {"media": [EMBEDDED]},
            "reservation_attributes": {WR_A: {"media": [RECORDING, {**RAW, "url": "data:x"}]}},
        }
    )
    assert error.path == f"reservation_attributes.{WR_A}.media[1].url"
    assert error.message.startswith(f"Attributes reservation_attributes.{WR_A}.media[1].url:")


def test_item_3_errors_name_a_wrapped_item_by_its_place_inside_the_task_attributes():
    error = refused({"task_attributes": task_list(EMBEDDED, {"type": "Raw"})})
    assert error.path == "conversations.media[1].url"


def test_item_3_lists_are_capped():
    assert len(strict(task_list(*[EMBEDDED] * media.MAX_ITEMS)).task or []) == media.MAX_ITEMS
    error = refused(task_list(*[EMBEDDED] * (media.MAX_ITEMS + 1)))
    assert error.path == "conversations.media"


def test_item_3_a_conversations_value_that_is_not_an_object_is_refused_on_write():
    assert refused({"conversations": ["media"]}).path == "conversations"


def test_item_3_lenient_reading_keeps_the_valid_items_and_reports_the_rest():
    """Events from a real Twilio account are taken as they come: bad items are left out."""
    lists = media.media_lists(
        task_list(EMBEDDED, {"type": "Raw", "url": "javascript:x"}, TRANSCRIPT), strict=False
    )
    assert [i.type for i in lists.task or []] == ["Embedded", "ChatTranscript"]
    assert len(lists.problems) == 1
    assert "conversations.media[1].url" in lists.problems[0]


WHITESPACE = st.sampled_from(["", " ", "\n", "\r\n", "\t", "\x0b", "\x85", "\u2028"])
NEAR_URLS = st.builds(
    "{}{}{}{}{}".format,
    st.sampled_from(["", "", "", " ", "\n"]),
    st.sampled_from(["http://", "HTTPS://", "https:/", "javascript:", "data:", "file://", "//"]),
    st.from_regex(r"\A[a-z0-9.-]{0,12}\Z"),
    st.from_regex(r"\A\S{0,12}\Z"),
    WHITESPACE,
)


@settings(max_examples=300)
@given(st.one_of(st.text(), NEAR_URLS))
def test_item_3_every_accepted_url_is_absolute_http_without_whitespace(url):
    try:
        accepted = media.parse_item({"type": "Referenced", "url": url}, 0, "m").url
    except MediaError:
        return
    assert accepted == url
    assert re.fullmatch(r"(?i:https?)://[^\s/?#]+\S*", accepted), repr(accepted)


@given(
    st.from_regex(r"\A(?i:https?)://[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){0,3}(:[0-9]{1,5})?\Z"),
    st.from_regex(r"\A(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,4}(\?[A-Za-z0-9=&%]{0,20})?\Z"),
)
def test_item_3_every_absolute_http_url_is_accepted(origin, rest):
    url = origin + rest
    assert media.parse_item({"type": "Embedded", "url": url}, 0, "m").url == url


# --- 4. start_time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        NOV_21,
        float(NOV_21),
        "1574350320000",
        " 1574350320000 ",
        "2019-11-21T15:32:00Z",
        "2019-11-21T15:32:00z",
        "2019-11-21T15:32:00.000Z",
        "2019-11-21T15:32:00+00:00",
        "2019-11-21T16:32:00+01:00",
        "2019-11-21T10:32:00-05:00",
        "2019-11-21T15:32:00",  # no offset: read as UTC
    ],
)
def test_item_4_start_time_forms_map_to_the_same_utc_millisecond(written):
    parsed = media.parse_item({**RECORDING, "start_time": written}, 0, "m")
    assert parsed.start_time_ms == NOV_21
    assert parsed.as_dict()["start_time"] == NOV_21


def test_item_4_the_documented_example_values_agree():
    assert (
        media.parse_start_time(1574350320000, "s")
        == media.parse_start_time("1574350320000", "s")
        == media.parse_start_time("2019-11-21T15:32:00Z", "s")
        == 1574350320000
    )


EARLIEST = -2_177_452_800_000  # 1901-01-01T00:00:00Z
LATEST = 2_524_607_999_999  # 2049-12-31T23:59:59.999Z


@settings(max_examples=500)
@given(
    st.integers(EARLIEST // 1000, LATEST // 1000),
    st.integers(0, 999),
    st.sampled_from([timedelta(0), timedelta(hours=2), timedelta(hours=-5, minutes=-30)]),
)
def test_item_4_iso_8601_and_epoch_milliseconds_agree_to_the_millisecond(seconds, ms, offset):
    millis = seconds * 1000 + ms
    instant = (EPOCH + timedelta(milliseconds=millis)).astimezone(timezone(offset))
    iso = instant.isoformat(timespec="milliseconds")
    assert media.parse_start_time(iso, "s") == millis, iso
    assert media.parse_start_time(str(millis), "s") == millis
    assert media.parse_start_time(millis, "s") == millis


@pytest.mark.parametrize(
    "written",
    [
        "1900-12-31T23:59:59Z",
        "2050-01-01T00:00:00Z",
        EARLIEST - 1,
        LATEST + 1,
        "yesterday",
        "2019-13-01T00:00:00Z",
        "",
        True,
        [NOV_21],
        {"ms": NOV_21},
    ],
)
def test_item_4_start_times_outside_1901_to_2049_or_unreadable_are_refused(written):
    error = refused(task_list({**RECORDING, "start_time": written}))
    assert error.path == "conversations.media[0].start_time"


def test_item_4_the_bounds_themselves_are_accepted():
    assert media.parse_start_time("1901-01-01T00:00:00Z", "s") == EARLIEST
    assert media.parse_start_time("2049-12-31T23:59:59.999Z", "s") == LATEST


# --- 5. channels ------------------------------------------------------------------------------


def test_item_5_channels_order_is_preserved_and_a_missing_channels_stays_absent():
    assert media.DEFAULT_CHANNELS == ("customer", "others")  # channel 0 is the customer
    documented = media.parse_item(RECORDING, 0, "m")
    assert documented.channels == ("customer", "others")
    assert documented.as_dict()["channels"] == ["customer", "others"]
    swapped = media.parse_item({**RECORDING, "channels": ["others", "customer"]}, 0, "m")
    assert swapped.channels == ("others", "customer")
    absent = media.parse_item({"type": "VoiceRecording", "url": RECORDING["url"]}, 0, "m")
    assert absent.channels is None
    assert "channels" not in absent.as_dict()


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6))
def test_item_5_any_channel_list_is_kept_in_its_written_order(channels):
    parsed = media.parse_item({**RECORDING, "channels": channels}, 0, "m")
    assert parsed.channels == tuple(channels)


# --- 6. level precedence ----------------------------------------------------------------------


def test_item_6_a_reservation_list_replaces_the_task_list_for_that_reservation_only():
    lists = strict(
        {
            "conversations": {"media": [EMBEDDED, RECORDING]},
            "reservation_attributes": {WR_A: {"media": [PROVIDED]}},
        }
    )
    own = media.resolve(lists, WR_A, [], extended=False)
    assert own.level == "reservation"
    assert [i.as_dict() for i in own.items] == [PROVIDED]  # replacement, never a merge
    other = media.resolve(lists, WR_B, [], extended=False)
    assert other.level == "task"
    assert [i.type for i in other.items] == ["Embedded", "VoiceRecording"]
    queue = media.resolve(lists, None, [], extended=False)  # a Queue segment has no reservation
    assert queue.level == "task"
    assert queue.items == other.items


def test_item_6_a_reservation_list_applies_even_without_a_task_list():
    lists = strict({"reservation_attributes": {WR_A: {"media": [REFERENCED]}}})
    defaults = media.default_media({"conversations": {"segment_link": RECORDING["url"]}})
    assert media.resolve(lists, WR_A, defaults, extended=True).level == "reservation"
    fallback = media.resolve(lists, WR_B, defaults, extended=True)
    assert (fallback.level, fallback.items) == ("default", defaults)


# --- 7. override of defaults ------------------------------------------------------------------


def test_item_7_custom_media_suppresses_the_segment_link_and_chat_defaults():
    attributes = {
        "channelSid": CH,
        "conversations": {"segment_link": RECORDING["url"], "media": [REFERENCED]},
    }
    defaults = media.default_media(attributes)
    assert [i.type for i in defaults] == ["VoiceRecording", "ChatTranscript"]
    resolved = media.resolve(strict(attributes), None, defaults, extended=True)
    assert resolved.level == "task"
    assert [i.as_dict() for i in resolved.items] == [REFERENCED]
    assert resolved.playable == frozenset()


def test_item_7_without_custom_media_the_recording_and_transcript_defaults_show():
    attributes = {"conversationSid": CH, "conversations": {"segment_link": RECORDING["url"]}}
    defaults = media.default_media(attributes)
    resolved = media.resolve(strict(attributes), None, defaults, extended=False)
    assert resolved.level == "default"
    assert [(i.index, i.type, i.display) for i in resolved.items] == [
        (0, "VoiceRecording", "player"),
        (1, "ChatTranscript", "transcript"),
    ]
    assert resolved.items[0].url == RECORDING["url"]
    assert resolved.playable == frozenset({0})


def test_item_7_an_unusable_segment_link_gives_no_default_recording():
    defaults = media.default_media({"conversations": {"segment_link": "javascript:alert(1)"}})
    assert defaults == []
    assert media.default_media({"channelSid": "CH-not-a-sid"}) == []


# --- 8. ordering and Raw first ----------------------------------------------------------------


def test_item_8_raw_first_opens_externally_raw_second_does_not():
    first = media.resolve(strict(task_list(RAW, EMBEDDED)), None, [], extended=True)
    assert first.opens_externally
    assert [i.type for i in first.items] == ["Raw", "Embedded"]  # the rest is still kept
    second = media.resolve(strict(task_list(EMBEDDED, RAW)), None, [], extended=True)
    assert not second.opens_externally
    assert [i.type for i in second.items] == ["Embedded", "Raw"]
    assert not media.resolve(MediaLists(), None, [], extended=True).opens_externally


def test_item_8_raw_first_at_reservation_level_opens_only_that_reservations_segments():
    lists = strict(
        {"conversations": {"media": [EMBEDDED]}, "reservation_attributes": {WR_A: {"media": [RAW]}}}
    )
    assert media.resolve(lists, WR_A, [], extended=True).opens_externally
    assert not media.resolve(lists, WR_B, [], extended=True).opens_externally


item_strategy = st.sampled_from(list(VALID.values()))


@given(st.lists(item_strategy, max_size=8), st.booleans())
def test_item_8_and_9_order_is_kept_and_only_recordings_are_ever_playable(raws, extended):
    resolved = media.resolve(strict(task_list(*raws)), None, [], extended=extended)
    assert [i.type for i in resolved.items] == [r["type"] for r in raws]
    assert [i.index for i in resolved.items] == list(range(len(raws)))
    assert resolved.opens_externally == (bool(raws) and raws[0]["type"] == "Raw")
    recordings = [i for i, r in enumerate(raws) if r["type"] == "VoiceRecording"]
    assert resolved.playable == frozenset(recordings if extended else recordings[:1])


# --- 9. one recording (compatible mode) -------------------------------------------------------


def test_item_9_compatible_mode_plays_only_the_first_recording_and_keeps_the_others():
    lists = strict(task_list(EMBEDDED, RECORDING, PROVIDED))
    resolved = media.resolve(lists, None, [], extended=False)
    assert resolved.playable == frozenset({1})
    assert [i.type for i in resolved.items] == ["Embedded", "VoiceRecording", "VoiceRecording"]
    document = media_document(resolved, ())
    assert [(d["index"], d["display"], d["playable"]) for d in document] == [
        (0, "iframe", False),
        (1, "player", True),
        (2, "player", False),  # retained, reported as not played
    ]
    assert document[2]["url_provider"] == PROVIDED["url_provider"]


def test_item_9_extended_mode_plays_every_recording():
    resolved = media.resolve(
        strict(task_list(RECORDING, EMBEDDED, PROVIDED)), None, [], extended=True
    )
    assert resolved.playable == frozenset({0, 2})
    assert [d["playable"] for d in media_document(resolved, ())] == [True, False, True]


def test_item_9_problems_of_a_lenient_list_are_reported_with_the_media():
    lists = media.media_lists(task_list(RECORDING, {"type": "Video"}), strict=False)
    document = media_document(media.resolve(lists, None, [], extended=False), lists.problems)
    assert document[0]["type"] == "VoiceRecording"
    assert document[-1] == {"problems": list(lists.problems)}
    assert "conversations.media[1].type" in lists.problems[0]


# --- 30. tolerant parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("voicerecording", "VoiceRecording"),
        ("VOICERECORDING", "VoiceRecording"),
        ("raw", "Raw"),
        ("embedded", "Embedded"),
        ("REFERENCED", "Referenced"),
        ("chatTranscript", "ChatTranscript"),
    ],
)
def test_item_30_other_casings_of_a_type_are_accepted_with_a_warning(written, canonical):
    raw = {**VALID[canonical], "type": written}
    (parsed,) = strict(task_list(raw)).task or []
    assert parsed.type == canonical
    assert parsed.warnings == (f"type {written!r} read as {canonical!r}",)
    (shown,) = media_document(media.resolve(strict(task_list(raw)), None, [], extended=True), ())
    assert shown["type"] == canonical
    assert shown["warnings"] == [f"type {written!r} read as {canonical!r}"]


@pytest.mark.parametrize("written", ["voicerecording", "RAW", "Chattranscript"])
def test_item_30_strict_type_mode_refuses_other_casings(written):
    canonical = next(t for t in media.TYPES if t.lower() == written.lower())
    raw = {**VALID[canonical], "type": written}
    with pytest.raises(MediaError) as caught:
        media.parse_list([raw], "conversations.media", strict_type=True)
    assert caught.value.path == "conversations.media[0].type"
    assert media.parse_list([VALID[canonical]], "m", strict_type=True)[0].warnings == ()
