"""Own-site media URLs: the reserved host names this server whatever address it is reached at."""

from __future__ import annotations

import pytest

from hindsight.domain.own_site import own_site_path, own_site_url


def test_a_path_round_trips() -> None:
    url = own_site_url("/demo/pages/crm/12?x=1")
    assert url == "https://hindsight.invalid/demo/pages/crm/12?x=1"
    assert own_site_path(url) == "/demo/pages/crm/12?x=1"


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://example.org/demo/pages/crm/1",
        "https://hindsight.invalid:8080/demo/pages/crm/1",  # a port: not the marker
        "https://hindsight.invalid.example.org/x",
        "javascript:alert(1)",
        "https://evil.example//hindsight.invalid/x",
        "https://hindsight.invalid/\\evil.example/x",  # a browser reads it as //evil.example
        "https://hindsight.invalid//evil.example/x",
    ],
)
def test_other_urls_are_not_own_site(url: str | None) -> None:
    assert own_site_path(url) is None


def test_the_marker_host_is_case_insensitive_and_yields_a_rooted_path() -> None:
    assert own_site_path("HTTPS://Hindsight.Invalid") == "/"
    assert own_site_path("http://hindsight.invalid/a") == "/a"


@pytest.mark.parametrize("path", ["relative", "//other.host/x", ""])
def test_only_rooted_paths_make_own_site_urls(path: str) -> None:
    with pytest.raises(ValueError):
        own_site_url(path)
