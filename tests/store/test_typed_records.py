"""The store's typed records on both backends: NULL columns read as None, JSON columns stay
their stored text, booleans read as booleans (SQLite keeps 0/1), and a record read back after
its write is there or the caller's bug, never a quiet None."""

from __future__ import annotations

import pytest

from hindsight.store import accounts, chat, media_exports, retention
from hindsight.store.database import Database
from hindsight.store.quality import catalogue
from hindsight.store.records import written
from tests.support.rows import account_row

ACCOUNT = "AC" + "1" * 32
NOW = 1_700_000_000_000


def _account(db: Database) -> None:
    db.write_sync(lambda conn: accounts.insert_account(conn, account_row(ACCOUNT)))


def test_a_record_missing_after_its_write_is_an_error_not_none() -> None:
    assert written("kept") == "kept"
    with pytest.raises(LookupError):
        written(None)


def test_an_api_key_without_a_name_reads_as_none(db: Database) -> None:
    _account(db)
    key = {
        "sid": "SK" + "2" * 32,
        "account_sid": ACCOUNT,
        "friendly_name": None,
        "secret_hash": "0" * 64,
        "date_created": NOW,
        "date_updated": NOW,
    }
    db.write_sync(lambda conn: accounts.insert_api_key(conn, key))
    found = db.read_sync(lambda conn: accounts.get_account_api_key(conn, ACCOUNT, key["sid"]))
    assert isinstance(found, accounts.ApiKeyRecord)
    assert found.friendly_name is None and found.secret_hash == "0" * 64
    assert (
        db.read_sync(lambda conn: accounts.get_account_api_key(conn, "AC" + "9" * 32, key["sid"]))
        is None
    )
    listed = db.read_sync(lambda conn: accounts.list_api_keys(conn, ACCOUNT))
    assert listed == [found]


def test_a_message_without_media_or_speaker_reads_as_none_and_keeps_its_json(
    db: Database,
) -> None:
    _account(db)
    conversation = "CH" + "3" * 32
    db.write_sync(
        lambda conn: chat.insert_conversation(
            conn,
            {
                "sid": conversation,
                "account_sid": ACCOUNT,
                "unique_name": None,
                "friendly_name": None,
                "attributes": '{"a": 1}',
                "state": "active",
                "messaging_service_sid": None,
                "next_message_index": 1,
                "date_created": NOW,
                "date_updated": NOW,
            },
        )
    )
    message = {
        "sid": "IM" + "4" * 32,
        "account_sid": ACCOUNT,
        "conversation_sid": conversation,
        "message_index": 0,
        "author": "system",
        "body": None,
        "media": None,
        "attributes": "{}",
        "participant_sid": None,
        "date_created": NOW,
        "date_updated": NOW,
    }
    db.write_sync(lambda conn: chat.insert_message(conn, message))
    read = db.read_sync(lambda conn: chat.messages_of(conn, conversation))
    assert read == [chat.ChatMessage(**message)]
    found = db.read_sync(lambda conn: chat.get_conversation(conn, ACCOUNT, conversation))
    assert found is not None and found.attributes == '{"a": 1}' and found.unique_name is None
    assert (
        db.read_sync(lambda conn: chat.get_conversation(conn, "AC" + "9" * 32, conversation))
        is None
    )


def test_a_question_reads_its_flag_as_a_boolean_on_both_stores(db: Database) -> None:
    _account(db)
    category = "FY" + "5" * 32
    question = "GE" + "6" * 32
    stamp = {"date_created": NOW, "date_updated": NOW}

    def seed(conn) -> None:
        catalogue.insert_category(
            conn, {"sid": category, "account_sid": ACCOUNT, "name": "Greeting", **stamp}
        )
        catalogue.insert_question(
            conn,
            {
                "sid": question,
                "account_sid": ACCOUNT,
                "category_sid": category,
                "question": "Hello?",
                "description": "",
                "answer_set_id": "yes-no",
                "allow_na": True,
                **stamp,
            },
        )

    db.write_sync(seed)
    found = db.read_sync(lambda conn: catalogue.get_question(conn, ACCOUNT, question))
    assert found is not None and found.allow_na is True
    by_sid = db.read_sync(lambda conn: catalogue.categories_by_sid(conn, [category, category]))
    assert by_sid == {category: catalogue.CategoryRecord(category, ACCOUNT, "Greeting", NOW, NOW)}


def test_an_expired_export_without_a_file_reads_its_file_as_none(db: Database) -> None:
    row = {
        "id": "ME9",
        "account_sid": ACCOUNT,
        "actor_sid": "US" + "2" * 32,
        "requester": "{}",
        "conversation_ids": '["c1"]',
        "status": media_exports.QUEUED,
        "total": 1,
        "done": 0,
        "items": 0,
        "failed_items": 0,
        "lease_until_ms": 0,
        "created_ms": NOW,
        "expires_ms": NOW + 1,
    }
    db.write_sync(lambda conn: media_exports.insert(conn, row))
    expired = db.write_sync(lambda conn: media_exports.expire_due(conn, NOW + 1))
    assert expired == [media_exports.ExpiredExport(id="ME9", file_name=None)]
    found = db.read_sync(lambda conn: media_exports.find(conn, ACCOUNT, "ME9"))
    assert found is not None and found.status == media_exports.EXPIRED
    assert found.file_name is None and found.conversation_ids == '["c1"]'


def test_a_sweep_walks_on_from_each_expired_records_position() -> None:
    conversation = retention.ExpiredConversation(id=7, conversation_id="c7", end_ms=NOW)
    recording = retention.ExpiredRecording(sid="RE1", blob_key="k", date_created=NOW)
    transcript = retention.ExpiredByCreation(sid="CH1", date_created=NOW + 1)
    # The walk's order is (instant, key): the position names both; a hold protects `key`.
    assert (conversation.position, conversation.key) == ((NOW, 7), "c7")
    assert (recording.position, recording.key) == ((NOW, "RE1"), "RE1")
    assert (transcript.position, transcript.key) == ((NOW + 1, "CH1"), "CH1")
