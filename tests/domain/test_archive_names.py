"""Names inside an export archive never leave its folder, and distinct ids stay distinct."""

from __future__ import annotations

import pytest

from hindsight.domain.archive_names import MAX_PART, archive_path, safe_part

HOSTILE = [
    "../../etc/passwd",
    "/etc/cron.d/x",
    "..",
    ".",
    "",
    "C:\\Windows\\system32",
    "a\x00b",
    "名前 with spaces",
    ".hidden",
    "x" * 500,
    "%2e%2e%2f",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_part_is_one_plain_component(text: str) -> None:
    part = safe_part(text)
    assert part and len(part) <= MAX_PART
    assert "/" not in part and "\\" not in part and "\x00" not in part
    assert not part.startswith(".")
    assert part not in ("..", ".")


def test_a_path_joins_parts_only_with_slashes() -> None:
    path = archive_path("../../etc", "SG1-0-recording.wav")
    assert not path.startswith("/")
    assert ".." not in path.split("/")
    assert path.count("/") == 1 and path.endswith("/SG1-0-recording.wav")


def test_plain_names_are_kept_and_cleaned_ones_do_not_collide() -> None:
    assert safe_part("export-call") == "export-call"
    assert safe_part("a/b") != safe_part("a_b")
    assert safe_part("x" * 500) != safe_part("x" * 499 + "y")
