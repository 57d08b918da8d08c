"""The audit keyring: created once however many processes start together, rotated in place."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hindsight.audit import keyring


def test_servers_starting_together_agree_on_the_first_key(tmp_path: Path) -> None:
    path = tmp_path / "audit-keys.json"
    barrier = threading.Barrier(8)
    got: list[keyring.Keyring] = []

    def start() -> None:
        barrier.wait()
        got.append(keyring.load_or_create(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = keyring.load_or_create(path)
    assert {k.current.secret for k in got} == {on_disk.current.secret}
    assert [p.name for p in tmp_path.iterdir()] == ["audit-keys.json"]  # no temporary left
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_rotation_keeps_the_old_keys_and_where_keying_began(tmp_path: Path) -> None:
    path = tmp_path / "audit-keys.json"
    first = keyring.load_or_create(path, lambda: 42)
    rotated = keyring.rotate(path)
    assert rotated.keys[1].secret == first.current.secret
    assert rotated.current.number == 2 and rotated.keyed_from == 42
    assert keyring.load_or_create(path) == rotated


def test_a_malformed_keyring_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit-keys.json"
    path.write_text('{"current": 3, "keys": {"1": "00"}}')
    with pytest.raises(keyring.KeyringError):
        keyring.load_or_create(path)
