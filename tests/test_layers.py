"""Imports point down the layers (DESIGN.md): domain → store → services → api/web → cli.

A feature folder (`retention/`, `quality/`, `search/`, `media/exports/`, `auth/sso/`,
`provisioning/`) holds the feature's services beside its HTTP routes (`http`), page routes
(`pages`), commands (`cli`) and the routers it hands the app factory (`wiring`); those modules
belong to the api, web and cli layers wherever they live, so the rules below follow the
module's role, not its folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "hindsight"

# The module names that give a module in a feature folder the layer of its role; `wiring`
# hands the app factory the feature's HTTP and page routers, so it sits above both.
ROLES = {"http": "api", "pages": "web", "cli": "cli", "wiring": "web"}
LAYER_PACKAGES = ("domain", "store", "api", "web", "cli")
# The composition root wires everything; `app_services` is the typed registry of the services
# that api and web handlers are given (api/kit.py), so they may name its type.
COMPOSITION = ("hindsight.app", "hindsight.processes", "hindsight.demo")
REGISTRY = "hindsight.app_services"

MAY_IMPORT = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "services": {"domain", "store", "services"},
    "registry": {"domain", "services", "registry"},
    "api": {"domain", "services", "registry", "api"},
    "web": {"domain", "services", "registry", "api", "web"},
    "cli": {"domain", "store", "services", "registry", "api", "web", "cli", "composition"},
    "composition": {
        "domain",
        "store",
        "services",
        "registry",
        "api",
        "web",
        "cli",
        "composition",
    },
}

# (importer, imported) pairs allowed against the rules above, each with its reason. Empty
# today: add one only with the reason it cannot be done the other way round.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> str:
    """The layer a `hindsight.…` module belongs to."""
    if any(_within(module, root) for root in COMPOSITION):
        return "composition"
    if _within(module, REGISTRY):
        return "registry"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYER_PACKAGES:
        return parts[1]
    for part in parts[2:]:
        if part in ROLES:
            return ROLES[part]
    return "services"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(module: str, tree: ast.AST) -> Iterator[str]:
    """Every `hindsight` module the tree imports, including those only imported for typing.
    Relative imports are resolved as from a module (the project has none in `__init__`s)."""
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from hindsight.retention import http` imports the module `retention.http`; a
            # name that is not a module takes the layer of the module it comes from.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def upward_imports(sources: dict[str, str]) -> list[str]:
    """`importer (layer) → imported (layer)` for every import the rules forbid."""
    found = []
    for module, text in sorted(sources.items()):
        for target in imported_modules(module, ast.parse(text)):
            if not _within(target, "hindsight") or (module, target) in KNOWN_EXCEPTIONS:
                continue
            source_layer, target_layer = layer_of(module), layer_of(target)
            if target_layer not in MAY_IMPORT[source_layer]:
                found.append(f"{module} ({source_layer}) → {target} ({target_layer})")
    return found


def project_sources() -> dict[str, str]:
    return {
        module_name(path): path.read_text()
        for path in PACKAGE.rglob("*.py")
        # Migrations are frozen history: they describe tables, not layers.
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def test_no_module_imports_a_higher_layer() -> None:
    sources = project_sources()
    assert upward_imports(sources) == []
    # An exception whose import is gone must leave the list, or it would hide the next one.
    stale = [
        pair
        for pair in KNOWN_EXCEPTIONS
        if pair[1] not in set(imported_modules(pair[0], ast.parse(sources[pair[0]])))
    ]
    assert stale == []


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("hindsight.domain.retention", "domain"),
        ("hindsight.store.search.index", "store"),
        ("hindsight.retention.service", "services"),
        ("hindsight.retention.http", "api"),
        ("hindsight.retention.cli", "cli"),
        ("hindsight.retention.wiring", "web"),
        ("hindsight.quality.http.twilio_routes", "api"),
        ("hindsight.quality.pages", "web"),
        ("hindsight.media.exports.service", "services"),
        ("hindsight.media.exports.http", "api"),
        ("hindsight.auth.sso.signin", "services"),
        ("hindsight.auth.sso.pages", "web"),
        ("hindsight.provisioning.http.routes", "api"),
        ("hindsight.api.kit", "api"),
        ("hindsight.web.pages", "web"),
        ("hindsight.app_services", "registry"),
        ("hindsight.app", "composition"),
        ("hindsight.processes.supervisor", "composition"),
    ],
)
def test_modules_take_the_layer_of_their_role(module: str, layer: str) -> None:
    assert layer_of(module) == layer


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("hindsight.domain.rules", "from hindsight.store import tasks\n"),
        ("hindsight.store.tasks", "import hindsight.routing.tasks\n"),
        ("hindsight.retention.service", "from hindsight.retention import http\n"),
        ("hindsight.quality.reports", "from hindsight.quality.pages import router\n"),
        ("hindsight.search.http", "from hindsight.store.search import saved\n"),
        ("hindsight.web.pages", "from hindsight.cli import people\n"),
        ("hindsight.api.kit", "from hindsight.app import create_app\n"),
        ("hindsight.retention.http", "from hindsight.retention.wiring import routes\n"),
        ("hindsight.store.search.index", "from ...routing import tasks\n"),
        (
            "hindsight.provisioning.service",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from hindsight.provisioning.http.routes import PREFIX\n",
        ),
    ],
)
def test_an_upward_import_is_found(module: str, source: str) -> None:
    assert len(upward_imports({module: source})) == 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("hindsight.retention.http", "from hindsight.retention.service import hold_json\n"),
        ("hindsight.quality.pages", "from hindsight.quality.http.routes import drill_value\n"),
        ("hindsight.retention.cli", "from hindsight.cli.kit import console\n"),
        ("hindsight.store.search.index", "from hindsight.domain.search import text_query\n"),
        ("hindsight.search.saved", "from hindsight.store.search import saved\n"),
        ("hindsight.api.kit", "from hindsight.app_services import Services\n"),
    ],
)
def test_a_downward_import_passes(module: str, source: str) -> None:
    assert upward_imports({module: source}) == []
