"""Reading the search box, phone numbers, customer keys and snippets (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.search import customer, phone
from hindsight.domain.search.snippet import snippet
from hindsight.domain.search.text_query import MAX_LENGTH, Term, parse

# --- the search box --------------------------------------------------------------------------


def test_bare_words_are_prefixes_and_quoted_words_a_phrase() -> None:
    query = parse('refund "credit card" Smi')
    assert query.terms == (
        Term(("refund",), prefix=True),
        Term(("credit", "card")),
        Term(("smi",), prefix=True),
    )
    assert query.fts5() == '"refund"* "credit card" "smi"*'
    assert query.tsquery() == "('refund':*) & ('credit' <-> 'card') & ('smi':*)"


@pytest.mark.parametrize(
    ("typed", "fts5"),
    [
        ("foo AND bar", '"foo"* "and"* "bar"*'),
        ("NEAR(a b)", '"near a"* "b"*'),
        ("title:x -y ^z", '"title x"* "y"* "z"*'),
        ('"unbalanced quote', '"unbalanced quote"'),
        ('say "it" "', '"say"* "it"'),
        ("555-010-4477", '"555 010 4477"*'),
        ("o'brien", '"o brien"*'),
        ("Straße", '"straße"*'),
    ],
)
def test_operators_and_punctuation_typed_by_people_are_literal_words(typed: str, fts5: str) -> None:
    assert parse(typed).fts5() == fts5


@pytest.mark.parametrize("typed", ["%", "_", "--", '""', "*"])
def test_text_without_a_word_looks_for_nothing(typed: str) -> None:
    assert parse(typed).empty


def test_overlong_text_and_nul_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="at most"):
        parse("x" * (MAX_LENGTH + 1))
    with pytest.raises(InvalidParameter, match="NUL"):
        parse("a\x00b")
    with pytest.raises(InvalidParameter, match="at most 16"):
        parse(" ".join(f"w{i}" for i in range(17)))


@given(st.text(max_size=MAX_LENGTH).filter(lambda t: "\x00" not in t))
def test_any_text_renders_only_quoted_letters_and_digits(text: str) -> None:
    query = parse(text)
    for word in query.words:
        assert word and all(ch.isalnum() for ch in word), word
    rendered = query.fts5()
    # Every double quote belongs to a term's own quoting: none comes from the text.
    assert rendered.count('"') == 2 * len(query.terms)
    assert "'" not in "".join(query.words)


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "(555) 010-4477",
        "555-010-4477",
        "555.010.4477",
        "+15550104477",
        "+1 555 010 4477",
        "1-555-010-4477",
        "001 555 010 4477",
        "whatsapp:+15550104477",
        "sms:+15550104477",
    ],
)
def test_every_way_of_writing_a_number_reduces_to_one_form(typed: str) -> None:
    assert phone.normalise(typed) == "15550104477"


@pytest.mark.parametrize(
    "typed", ["Smith", "jane@example.org", "12345", "555-010-4477 ext", "1" * 16, "", "+"]
)
def test_what_is_not_a_phone_number_is_not_read_as_one(typed: str) -> None:
    assert phone.normalise(typed) is None


def test_international_numbers_keep_their_country_code() -> None:
    assert phone.normalise("+44 20 7946 0958") == "442079460958"


# --- customers -------------------------------------------------------------------------------


def test_a_customer_is_found_by_phone_email_name_words_and_id() -> None:
    keys = customer.stored_keys(
        {
            "name": "Jane  van Doe",
            "phone": "(555) 010-4477",
            "email": "Jane@Example.org",
            "external_id": "CRM-42",
            "zip": "10001",
        },
        ["whatsapp:+15550109999"],
    )
    assert keys == {
        "name:jane van doe",
        "name:jane",
        "name:van",
        "name:doe",
        "phone:15550104477",
        "email:jane@example.org",
        "id:crm-42",
        "phone:15550109999",
    }
    for typed in ("+1 555 010 4477", "JANE@example.ORG", "doe", "Jane Van Doe", "crm-42"):
        assert set(customer.wanted_keys(typed)) & keys, typed
    assert not set(customer.wanted_keys("10001")) & keys


@pytest.mark.parametrize(("typed", "problem"), [("", "blank"), (" ", "blank"), ("a\x00", "NUL")])
def test_unusable_customer_text_is_refused(typed: str, problem: str) -> None:
    with pytest.raises(InvalidParameter, match=problem):
        customer.wanted_keys(typed)


def test_the_label_prefers_the_name_then_contact_details_then_an_address() -> None:
    assert customer.label({"name": " Jane Doe ", "phone": "+1555"}, []) == "Jane Doe"
    assert customer.label({"email": "j@x.org"}, ["+1555"]) == "j@x.org"
    assert customer.label({}, ["+15550104477"]) == "+15550104477"
    assert customer.label({}, []) is None


# --- snippets --------------------------------------------------------------------------------


def test_a_snippet_marks_each_match_in_plain_text() -> None:
    text = "visitor: Hello\nalice: Hi!\nvisitor: my <b>card</b> number is 4111, card expired"
    found = snippet("transcript", text, parse("card"))
    assert found is not None and found.source == "transcript"
    marked = [found.text[s:e] for s, e in found.highlights]
    assert marked == ["card", "card"]
    assert "<b>" in found.text  # plain text: whoever shows it escapes it


def test_a_long_text_is_cut_around_the_first_match() -> None:
    text = "lorem " * 100 + "the refund was issued " + "ipsum " * 100
    found = snippet("attributes", text, parse("refunds OR refund"))
    assert found is not None
    assert found.text.startswith("…") and found.text.endswith("…")
    assert len(found.text) <= 170
    assert [found.text[s:e] for s, e in found.highlights] == ["refund"]


def test_phrases_prefixes_and_case_match_as_the_search_does() -> None:
    text = "Credit Card declined; cardholder called"
    assert [
        text[s:e] for s, e in (snippet("attributes", text, parse('"credit card"')).highlights)
    ] == ["Credit Card"]
    prefix = snippet("attributes", text, parse("cardh"))
    assert [prefix.text[s:e] for s, e in prefix.highlights] == ["cardholder"]
    assert snippet("attributes", text, parse('"card credit"')) is None
