"""The quality filters of a conversation search, from its query string (API and pages)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.search import filter_keys
from hindsight.domain.sids import Prefix, is_sid
from hindsight.insights.filters import QualityFilter

QUALITY_PARAMS = filter_keys.QUALITY


def _score(params: Mapping[str, str], name: str) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a score from 0 to 100") from None
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise InvalidParameter(f"{name} must be a score from 0 to 100")
    return value


def quality_filter(params: Mapping[str, str]) -> QualityFilter | None:
    """None when no quality filter is given."""
    assessed_text = (params.get("assessed") or "").strip()
    if assessed_text not in ("", "true", "false"):
        raise InvalidParameter("assessed must be true or false")
    assessed = None if not assessed_text else assessed_text == "true"
    questionnaire = (params.get("questionnaire_sid") or "").strip() or None
    if questionnaire is not None and not is_sid(questionnaire, Prefix.QM_QUESTIONNAIRE):
        raise InvalidParameter("questionnaire_sid must be GM followed by 32 hex digits")
    low, high = _score(params, "score_min"), _score(params, "score_max")
    if low is not None and high is not None and high < low:
        raise InvalidParameter("score_max is below score_min")
    if assessed is False and (low is not None or high is not None):
        raise InvalidParameter("A score range finds assessed conversations; drop assessed=false")
    found = QualityFilter(assessed, questionnaire, low, high)
    return None if found == QualityFilter() else found


def quality_pairs(wanted: QualityFilter | None) -> list[tuple[str, str]]:
    """The filter as query parameters again (for export links)."""
    if wanted is None:
        return []
    pairs = []
    if wanted.assessed is not None:
        pairs.append(("assessed", "true" if wanted.assessed else "false"))
    for name in ("questionnaire_sid", "score_min", "score_max"):
        value = getattr(wanted, name)
        if value is not None:
            pairs.append((name, str(value)))
    return pairs
