"""Where a search matched, as a short excerpt with the matching words marked.

Built in Python from the text the database found, the same way for both stores: the excerpt
is plain text with (start, end) offsets of the marks, so whoever shows it escapes it as it
escapes any text and cannot be tricked into rendering markup from a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hindsight.domain.search.text_query import WORD, Term, TextQuery

WINDOW = 160
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Snippet:
    # What matched: "transcript", "attributes" (attributes, media titles, customer).
    source: str
    text: str
    highlights: tuple[tuple[int, int], ...]


def _term_hits(tokens: list[tuple[int, int, str]], term: Term) -> list[tuple[int, int]]:
    size = len(term.words)
    hits = []
    for i in range(len(tokens) - size + 1):
        window = tokens[i : i + size]
        ok = all(
            token == word or (term.prefix and j == size - 1 and token.startswith(word))
            for j, ((_s, _e, token), word) in enumerate(zip(window, term.words, strict=True))
        )
        if ok:
            hits.append((window[0][0], window[-1][1]))
    return hits


def _hits(text: str, query: TextQuery) -> list[tuple[int, int]]:
    tokens = [(m.start(), m.end(), m.group().lower()) for m in WORD.finditer(text)]
    found = [hit for term in query.terms for hit in _term_hits(tokens, term)]
    return sorted(set(found))


def snippet(source: str, text: str, query: TextQuery, width: int = WINDOW) -> Snippet | None:
    """An excerpt of `text` around its first match, or None if no term matches in it."""
    flat = _SPACE.sub(" ", text)
    hits = _hits(flat, query)
    if not hits:
        return None
    first = hits[0][0]
    start = max(0, first - width // 3)
    # Start at a word boundary so the excerpt does not open mid-word.
    if start > 0:
        space = flat.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(flat), start + width)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(flat) else ""
    shift = len(lead) - start
    marks = tuple((s + shift, min(e, end) + shift) for s, e in hits if s >= start and s < end)
    return Snippet(source=source, text=f"{lead}{flat[start:end]}{tail}", highlights=marks)
