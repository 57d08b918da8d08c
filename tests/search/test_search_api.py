"""Full-text and customer search through the Insights API, on both stores: what is found,
where it matched, who may find it, and what bad input gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from twilio.rest import Client

from hindsight.domain.access import Scope
from hindsight.insights import queries as insight_service
from hindsight.store import insights_queries, keyset
from hindsight.store.search import index as search_index
from tests.api.helpers_chat import conversations
from tests.api.helpers_routing import Floor, floor
from tests.api.helpers_tasks import stranger
from tests.support.people import Person, last_audit, person
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

SEARCH = "/api/v1/insights/conversations"
CSV = "/api/v1/insights/conversations.csv"
AGGREGATES = "/api/v1/insights/aggregates"


@dataclass
class Scene:
    server: RunningServer
    account: Any
    client: Client
    chat_sales: str
    chat_support: str
    sales: str  # conversation ids (the task SIDs)
    support: str
    outsider: Any  # another account, with a "parcel" conversation of its own

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.server.base_url}{path}",
            params=params,
            auth=(self.account.sid, self.account.auth_token),
            timeout=30,
        )

    def hits(self, **params: Any) -> dict[str, dict[str, Any]]:
        response = self.get(SEARCH, **params)
        assert response.status_code == 200, response.text
        return {c["conversation_id"]: c for c in response.json()["conversations"]}


def _chat(client: Client, lines: list[tuple[str, str]]) -> Any:
    chat = conversations(client).create(friendly_name="Web chat")
    for author, body in lines:
        conversations(client)(chat.sid).messages.create(author=author, body=body)
    return chat


def _projected(server: RunningServer, account: Any, *conversation_ids: str) -> None:
    def probe() -> bool | None:
        response = httpx.get(
            f"{server.base_url}{SEARCH}", auth=(account.sid, account.auth_token), timeout=30
        )
        found = {c["conversation_id"] for c in response.json()["conversations"]}
        return True if set(conversation_ids) <= found else None

    wait_for(probe, f"conversations {conversation_ids} projected")


@pytest.fixture(scope="module")
def scene(server: RunningServer) -> Scene:
    account = server.new_account()
    client = client_for(server.base_url, account.sid, account.auth_token)
    f: Floor = floor(client, "Search")
    sales_queue = f.queue("Sales", "skill == 'none'")
    support_queue = f.queue("Support", "skill == 'none'")
    workflow = f.workflow(
        "By team",
        default_queue=support_queue.sid,
        filters=[
            {"expression": "team == 'sales'", "targets": [{"queue": sales_queue.sid}]},
        ],
    )
    chat_sales = _chat(
        client,
        [
            ("visitor", "Hello"),
            ("alice", "Hi! How can I help?"),
            ("visitor", "My parcel never arrived, tracking number 7781 <script>x</script>"),
        ],
    )
    conversations(client)(chat_sales.sid).participants.create(
        messaging_binding_address="whatsapp:+15550109999",
        messaging_binding_proxy_address="whatsapp:+15550000000",
    )
    chat_support = _chat(client, [("visitor", "Where is my parcel? Bob knows")])
    sales = f.task(
        workflow.sid,
        team="sales",
        conversations={
            "conversation_attribute_1": "Platinum",
            "media": [{"type": "ChatTranscript", "sid": chat_sales.sid, "title": "Web chat"}],
        },
        customers={"name": "Jane Doe", "phone": "(555) 010-4477", "email": "Jane@Example.org"},
    )
    support = f.task(
        workflow.sid,
        team="support",
        conversations={
            "media": [
                {"type": "ChatTranscript", "sid": chat_support.sid},
                {
                    "type": "Referenced",
                    "url": "https://crm.example.org/9",
                    "title": "Invoice dispute",
                },
            ]
        },
        customers={"name": "Bob Stone", "external_id": "CRM-42"},
    )
    outsider = stranger(server)
    other_floor = floor(outsider, "Elsewhere")
    other_queue = other_floor.queue("Theirs", "skill == 'none'")
    other_workflow = other_floor.workflow("Theirs", default_queue=other_queue.sid)
    other_floor.task(
        other_workflow.sid,
        conversations={"conversation_attribute_1": "parcel"},
        customers={"name": "Jane Doe", "phone": "+15550104477"},
    )
    _projected(server, account, sales.sid, support.sid)
    return Scene(
        server, account, client, chat_sales.sid, chat_support.sid, sales.sid, support.sid, outsider
    )


# --- what the text finds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("parcel", {"sales", "support"}),
        ("PARCEL", {"sales", "support"}),
        ("parc", {"sales", "support"}),
        ('"tracking number 7781"', {"sales"}),
        ('"number tracking"', set()),
        ("parcel bob", {"support"}),
        ("platinum", {"sales"}),
        ("invoice", {"support"}),
        ("jane", {"sales"}),
        ("jane@example.org", {"sales"}),
        ("script", {"sales"}),
        ("zebra", set()),
    ],
)
def test_words_phrases_and_prefixes_find_transcripts_attributes_and_titles(
    scene: Scene, q: str, expected: set[str]
) -> None:
    ids = {"sales": scene.sales, "support": scene.support}
    assert set(scene.hits(q=q)) == {ids[name] for name in expected}


def test_searches_matching_many_conversations_find_the_same(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `FEW` matches a search walks the list instead of reading the matches by id: the
    two ways must find the same conversations (the server runs in this process)."""
    cases = {
        q: set(scene.hits(q=q))
        for q in ("parcel", "parc", '"tracking number 7781"', "parcel bob", "invoice", "jane")
    }
    customers = {c: set(scene.hits(customer=c)) for c in ("555-010-4477", "crm-42", "Stone")}
    monkeypatch.setattr(search_index, "FEW", 0)
    assert {q: set(scene.hits(q=q)) for q in cases} == cases
    assert {c: set(scene.hits(customer=c)) for c in customers} == customers
    assert set(scene.hits(customer="Stone", q="parcel")) == {scene.support}
    assert scene.get(AGGREGATES, q="parcel", group_by="queue").json()["total"]["volume"] == 2


def test_the_index_follows_what_it_reads_and_keeps_through_what_it_does_not(
    scene: Scene,
) -> None:
    """The projector rebuilds a conversation's entry only when the segments' attributes,
    media or customer change: a new value is found and the old one no longer is; a change of
    state alone (the task cancelled) leaves the entry as it was."""
    # An account of its own: the module's scene lists exactly its two conversations.
    account = scene.server.new_account()
    scene = replace(
        scene,
        account=account,
        client=client_for(scene.server.base_url, account.sid, account.auth_token),
    )
    f = floor(scene.client, "Upkeep")
    workflow = f.workflow("Desk", default_queue=f.queue("Desk", "skill == 'none'").sid)
    task = f.task(workflow.sid, conversations={"conversation_attribute_2": "Aubergine"})
    wait_for(lambda: set(scene.hits(q="aubergine")) == {task.sid} or None, "first value found")
    f.api.tasks(task.sid).update(
        attributes=json.dumps({"conversations": {"conversation_attribute_2": "Courgette"}})
    )
    wait_for(lambda: set(scene.hits(q="courgette")) == {task.sid} or None, "new value found")
    assert scene.hits(q="aubergine") == {}
    before = scene.hits(q="courgette")[task.sid]
    f.api.tasks(task.sid).update(assignment_status="canceled", reason="done")

    def projected() -> dict[str, Any] | None:
        now = scene.hits(q="courgette").get(task.sid)
        return now if now is not None and now != before else None

    after = wait_for(projected, "the cancellation projected")
    assert after["in_progress"] is False or after["outcome"] != before["outcome"]
    assert set(scene.hits(q="courgette")) == {task.sid}
    assert scene.hits(q="aubergine") == {}


def test_a_transcript_match_comes_with_a_marked_snippet(scene: Scene) -> None:
    hit = scene.hits(q="tracking")[scene.sales]
    snippet = hit["snippet"]
    assert snippet["source"] == "transcript"
    assert [snippet["text"][s:e] for s, e in snippet["highlights"]] == ["tracking"]
    assert "<script>" in snippet["text"]  # plain text, escaped by whoever shows it
    title = scene.hits(q="invoice")[scene.support]["snippet"]
    assert title["source"] == "attributes"
    assert [title["text"][s:e] for s, e in title["highlights"]] == ["Invoice"]
    assert scene.hits()[scene.sales]["snippet"] is None


def test_messages_are_searchable_as_they_arrive_and_gone_when_deleted(scene: Scene) -> None:
    chat = conversations(scene.client)(scene.chat_sales)
    message = chat.messages.create(author="visitor", body="I want a refund")
    assert set(scene.hits(q="refund")) == {scene.sales}
    chat.messages(message.sid).update(body="I want a replacement")
    assert scene.hits(q="refund") == {}
    assert set(scene.hits(q="replacement")) == {scene.sales}
    chat.messages(message.sid).delete()
    assert scene.hits(q="replacement") == {}
    assert set(scene.hits(q="parcel")) == {scene.sales, scene.support}


def test_csv_export_and_aggregates_use_the_same_search(scene: Scene) -> None:
    exported = scene.get(CSV, q="tracking")
    assert exported.status_code == 200
    assert scene.sales in exported.text and scene.support not in exported.text
    total = scene.get(AGGREGATES, q="parcel", group_by="queue").json()["total"]
    assert total["volume"] == 2


def test_another_accounts_conversations_are_never_found(scene: Scene) -> None:
    assert scene.hits(q="parcel").keys() == {scene.sales, scene.support}
    assert scene.hits(customer="+15550104477").keys() == {scene.sales}


# --- customers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "(555) 010-4477",
        "555-010-4477",
        "+15550104477",
        "+1 555 010 4477",
        "jane doe",
        "DOE",
        "jane@EXAMPLE.org",
        "whatsapp:+15550109999",
        "(555) 010-9999",
    ],
)
def test_a_customer_is_found_however_the_number_or_name_is_written(
    scene: Scene, typed: str
) -> None:
    assert scene.hits(customer=typed).keys() == {scene.sales}


def test_customer_search_combines_with_text_and_finds_ids(scene: Scene) -> None:
    assert scene.hits(customer="crm-42").keys() == {scene.support}
    assert scene.hits(customer="Stone", q="parcel").keys() == {scene.support}
    assert scene.hits(customer="Stone", q="platinum") == {}
    assert scene.hits(customer="555-010-0000") == {}


def test_the_customer_is_shown_in_the_list_and_the_detail(scene: Scene) -> None:
    listed = scene.hits()
    assert listed[scene.sales]["customer"] == "Jane Doe"
    assert listed[scene.support]["customer"] == "Bob Stone"
    detail = scene.get(f"{SEARCH}/{scene.sales}").json()
    assert detail["customer"] == "Jane Doe"


def test_searches_record_that_text_and_customer_were_given_never_what(scene: Scene) -> None:
    reader = person(scene.server, scene.account.sid, ("wfo.data_analyst",), name="auditee")
    try:
        response = reader.get(SEARCH, q="parcel", customer="Jane Doe")
        assert response.status_code == 200
        record = last_audit(scene.server, reader.sid, "conversation.search")
        assert record["detail"]["filters"] == {
            "text": "(given)",
            "customer": "(given)",
            "search_transcripts": True,
        }
        assert "parcel" not in str(record) and "Jane" not in str(record)
    finally:
        reader.close()


# --- scope -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sales_lead(scene: Scene) -> Any:
    lead: Person = person(
        scene.server,
        scene.account.sid,
        ("wfo.team_leader",),
        name="sales-lead",
        scope=Scope(teams=("Sales",)),
    )
    yield lead
    lead.close()


def test_the_total_counts_every_match_when_asked(scene: Scene, sales_lead: Person) -> None:
    assert (
        scene.get(SEARCH, q="parcel", page_size=1, with_total="true").json()["meta"]["total"] == 2
    )
    assert scene.get(SEARCH, q="parcel").json()["meta"]["total"] is None
    assert scene.get(SEARCH, customer="doe", with_total="true").json()["meta"]["total"] == 1
    scoped = sales_lead.get(SEARCH, q="parcel", with_total="true").json()
    assert scoped["meta"]["total"] == 1
    assert scoped["meta"]["total_capped"] is False


def _total(get: Any, **params: Any) -> tuple[int, bool]:
    response = get(SEARCH, page_size=1, with_total="true", **params)
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    return meta["total"], meta["total_capped"]


@pytest.mark.parametrize("few", [True, False], ids=["few-matches", "many-matches"])
def test_the_total_stops_at_the_cap_and_says_there_are_more(
    scene: Scene, sales_lead: Person, monkeypatch: pytest.MonkeyPatch, few: bool
) -> None:
    """Past TOTAL_CAP the total says "more than" instead of counting every match; below it,
    it is exact. Both ways of reading the matches: by id (few) and as the index yields them."""
    if not few:
        monkeypatch.setattr(search_index, "FEW", 0)
    assert _total(scene.get, q="parcel") == (2, False)
    monkeypatch.setattr(insights_queries, "TOTAL_CAP", 2)
    assert _total(scene.get, q="parcel") == (2, False)
    # "p…" matches the sales conversation twice (Platinum in its document, parcel in its
    # transcript): still one conversation, so two in all and not "more than two".
    assert set(scene.hits(q="p")) == {scene.sales, scene.support}
    assert _total(scene.get, q="p") == (2, False)
    monkeypatch.setattr(insights_queries, "TOTAL_CAP", 1)
    assert _total(scene.get, q="parcel") == (1, True)
    assert _total(scene.get, q="platinum") == (1, False)
    assert _total(scene.get, q="zebra") == (0, False)
    # Without text, and by customer, the same cap.
    assert _total(scene.get) == (1, True)
    assert _total(scene.get, customer="doe") == (1, False)
    # The other team's match is never counted, so one match in scope is exact.
    assert _total(sales_lead.get, q="parcel") == (1, False)
    assert _total(sales_lead.get, q="invoice") == (0, False)


def test_a_scoped_person_never_finds_counts_or_sees_snippets_out_of_scope(
    scene: Scene, sales_lead: Person
) -> None:
    page = sales_lead.get(SEARCH, q="parcel")
    assert page.status_code == 200, page.text
    found = {c["conversation_id"]: c for c in page.json()["conversations"]}
    assert found.keys() == {scene.sales}
    assert "Bob knows" not in page.text and "Invoice" not in page.text
    assert sales_lead.get(SEARCH, q="invoice").json()["conversations"] == []
    assert sales_lead.get(SEARCH, customer="Bob Stone").json()["conversations"] == []
    total = sales_lead.get(AGGREGATES, q="parcel", group_by="queue").json()["total"]
    assert total["volume"] == 1


# --- a common word: the list walked and each conversation probed ------------------------------


def _pages(get: Any, **params: Any) -> list[list[str]]:
    """Every page of a search, following `next_page_token`."""
    pages, token = [], None
    while True:
        response = get(SEARCH, **params, **({"page_token": token} if token else {}))
        assert response.status_code == 200, response.text
        pages.append([c["conversation_id"] for c in response.json()["conversations"]])
        token = response.json()["meta"].get("next_page_token")
        if not token:
            return pages


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Searches take the walk (no text matches FEW), and whether each walk filled its page."""
    monkeypatch.setattr(search_index, "FEW", 0)
    outcomes: list[bool] = []

    def recorded(result: Any, request: Any) -> bool:
        outcomes.append(keyset.filled(result, request))
        return outcomes[-1]

    monkeypatch.setattr(insight_service, "filled", recorded)
    return outcomes


def test_a_common_word_pages_by_walking_the_list(scene: Scene, walked: list[bool]) -> None:
    pages = _pages(scene.get, q="parcel", page_size=1)
    # PostgreSQL found the first page by the walk alone; SQLite reads the matches instead.
    assert walked[:1] == ([True] if _walks(scene) else [])
    # Newest first, each once, and the other account's "parcel" never.
    assert [p for page in pages for p in page] == [scene.support, scene.sales]
    ascending = _pages(scene.get, q="parcel", page_size=1, order="asc")
    assert [p for page in ascending for p in page] == [scene.sales, scene.support]
    # Probes ask the document (attributes, titles, customer) and the transcripts alike.
    assert set(scene.hits(q="platinum", page_size=1)) == {scene.sales}
    assert set(scene.hits(q="invoice", page_size=1)) == {scene.support}
    assert list(scene.hits(q='"tracking number 7781"', page_size=1)) == [scene.sales]
    assert list(scene.hits(q='"number tracking"', page_size=1)) == []


def test_a_walk_that_leaves_the_page_short_reads_every_match(
    scene: Scene, walked: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(insights_queries, "WALK", 1)
    assert set(scene.hits(q="parcel")) == {scene.sales, scene.support}
    assert walked == ([False] if _walks(scene) else [])
    assert scene.hits(q="zebra") == {}


def test_a_phrase_walks_on_in_longer_windows_before_reading_every_match(
    scene: Scene, walked: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase's page left short by a walk is looked for in the next, longer window (the
    matches of a phrase of common words are rechecked one by one when read)."""
    monkeypatch.setattr(insights_queries, "PHRASE_WALKS", (1, 3))
    pages = _pages(scene.get, q='"my parcel"', page_size=1)
    assert pages == [[scene.support], [scene.sales]]
    # The first page: one conversation walked was short, three filled it. The second: both
    # windows hold only the last conversation, then every match is read (it has no next).
    assert walked == ([False, True, False, False] if _walks(scene) else [])
    assert scene.hits(q='"parcel my"') == {}


def test_a_walk_keeps_a_scoped_person_to_their_scope(
    scene: Scene, sales_lead: Person, walked: list[bool]
) -> None:
    for size in (1, 50):
        page = sales_lead.get(SEARCH, q="parcel", page_size=size)
        assert page.status_code == 200, page.text
        assert [c["conversation_id"] for c in page.json()["conversations"]] == [scene.sales]
        assert "Bob knows" not in page.text and "Invoice" not in page.text
    assert sales_lead.get(SEARCH, q="invoice", page_size=1).json()["conversations"] == []
    assert bool(walked) == _walks(scene)


def test_a_text_the_statistics_call_common_is_walked_without_reading_matches_first(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: when the planner expects a text in more than SURELY_MANY rows, the search
    walks without first reading FEW + 1 matches; what it finds is the same. SQLite never
    reads them for a text alone: its index yields the matches in the list's order."""
    reads: list[Any] = []
    read = search_index._capped  # each store's read of FEW + 1 matches

    def counted(*args: Any) -> Any:
        reads.append(args)
        return read(*args)

    monkeypatch.setattr(search_index, "_capped", counted)
    monkeypatch.setattr(search_index, "SURELY_MANY", -1)
    assert set(scene.hits(q="parcel")) == {scene.sales, scene.support}
    assert list(scene.hits(q="parcel", page_size=1)) == [scene.support]
    assert list(scene.hits(q='"tracking number 7781"')) == [scene.sales]
    assert scene.hits(q='"number tracking"') == {}
    assert reads == []


def _walks(scene: Scene) -> bool:
    return scene.server.runtime.db.write_engine.dialect.name in insights_queries.WALKING_DIALECTS


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        'parcel"',
        "parcel AND NOT bob",
        "NEAR(parcel bob, 2)",
        "parcel OR",
        "-bob",
        "^parcel",
        "{parcel}",
        "title:parcel",
        "parcel*",
        "*",
        "%",
        "'; DROP TABLE conversations; --",
        "a:*",
        "!!",
        "(((",
        "\\",
        "😀 parcel",
    ],
)
def test_query_syntax_typed_by_people_is_literal_never_an_error(scene: Scene, q: str) -> None:
    response = scene.get(SEARCH, q=q)
    assert response.status_code == 200, response.text
    assert scene.get(CSV, q=q).status_code == 200
    assert scene.get(AGGREGATES, q=q, group_by="day").status_code == 200


def test_operators_are_words_not_operators(scene: Scene) -> None:
    # "NOT bob" would exclude the support conversation if NOT were an operator; as words
    # "not" and "bob" must both be present, and no conversation says "not".
    assert scene.hits(q="parcel NOT bob") == {}
    assert scene.hits(q="parcel OR zebra") == {}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": "parcel\x00"}, "NUL"),
        ({"q": " ".join(f"w{i}" for i in range(17))}, "at most 16"),
        ({"customer": "x" * 201}, "customer"),
        ({"customer": "   "}, "blank"),
        ({"customer": "jane\x00"}, "NUL"),
        ({"customer": "a", "q": "b", "custom": "c"}, "Unknown parameter"),
    ],
)
def test_unusable_search_input_is_a_clear_400(
    scene: Scene, params: dict[str, str], fragment: str
) -> None:
    for path in (SEARCH, CSV):
        response = scene.get(path, **params)
        assert response.status_code == 400, response.text
        assert fragment in response.json()["message"]


@pytest.mark.parametrize("sort", ["talk_time", "handling_time", "queue_time"])
def test_a_period_sorted_by_a_measure_lists_what_the_period_holds(scene: Scene, sort: str) -> None:
    # SQLite lists these by walking the measure's index: the period is checked per row.
    period = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    assert set(scene.hits(**period, sort=sort)) == {scene.sales, scene.support}
    assert set(scene.hits(**period, sort=sort, order="asc", q="parcel")) == {
        scene.sales,
        scene.support,
    }
    assert scene.hits(start="2099-01-01T00:00:00Z", sort=sort) == {}
    assert scene.hits(end="2000-01-01T00:00:00Z", sort=sort) == {}


# --- a customer: the first page drawn from the keys in list order ------------------------------


def test_a_customers_pages_are_drawn_from_their_keys_in_list_order(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer's page is read from their keys' index in list order (windows of the page's
    size + 1 here), each page exact; a window that leaves the page short falls back to
    reading every conversation of the customer. Both give the list's order and scope."""
    account = scene.server.new_account()
    scene = replace(
        scene,
        account=account,
        client=client_for(scene.server.base_url, account.sid, account.auth_token),
    )
    f = floor(scene.client, "Customers")
    sales = f.queue("Sales", "skill == 'none'")
    support = f.queue("Support", "skill == 'none'")
    workflow = f.workflow(
        "By team",
        default_queue=support.sid,
        filters=[{"expression": "team == 'sales'", "targets": [{"queue": sales.sid}]}],
    )
    first = f.task(workflow.sid, team="sales", customers={"name": "Ann Lee"})
    _projected(scene.server, account, first.sid)
    second = f.task(workflow.sid, team="support", customers={"name": "Max Lee"})
    _projected(scene.server, account, second.sid)
    third = f.task(
        workflow.sid, team="sales", customers={"name": "Ann Lee", "phone": "555-010-7000"}
    )
    f.task(workflow.sid, team="sales", customers={"name": "Ann Stone"})
    _projected(scene.server, account, third.sid)
    outcomes: list[bool] = []

    def recorded(result: Any, request: Any) -> bool:
        outcomes.append(keyset.filled(result, request))
        return outcomes[-1]

    monkeypatch.setattr(insight_service, "filled", recorded)
    monkeypatch.setattr(insights_queries, "CUSTOMER_WALKS", (1,))
    newest_first = [[third.sid], [second.sid], [first.sid]]
    assert _pages(scene.get, customer="lee", page_size=1) == newest_first
    # The first page came from the first two conversations (the page and its look-ahead);
    # the later ones from all that remain past their boundary (no more than two).
    assert outcomes == [True]
    assert _pages(scene.get, customer="LEE", page_size=1, order="asc") == newest_first[::-1]
    assert _pages(scene.get, customer="lee", page_size=2) == [[third.sid, second.sid], [first.sid]]
    assert list(scene.hits(customer="ann lee")) == [third.sid, first.sid]
    assert list(scene.hits(customer="(555) 010-7000")) == [third.sid]
    assert scene.hits(customer="ann lee", sort="talk_time").keys() == {first.sid, third.sid}
    lead = person(
        scene.server,
        account.sid,
        ("wfo.team_leader",),
        name="lee-lead",
        scope=Scope(teams=("Sales",)),
    )
    try:
        outcomes.clear()
        assert _pages(lead.get, customer="lee", page_size=1) == [[third.sid], [first.sid]]
        # Out of scope, the second conversation left the first window short.
        assert outcomes == [False]
        assert "Max Lee" not in lead.get(SEARCH, customer="lee").text
    finally:
        lead.close()
