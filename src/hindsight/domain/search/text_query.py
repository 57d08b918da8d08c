"""What a person typed in the search box, read as words, prefixes and quoted phrases.

People type anything: operators of one engine or another (AND, NEAR, `-`, `^`, `:`), quotes
that do not close, punctuation. None of it is passed to a database's query language: the text
is cut into words (runs of letters and digits, as both stores' tokenizers cut it) and every
word is matched literally. A word typed bare also matches longer words it begins (people type
"silv" for silver, as they would in a search-as-you-type box); words in quotes match exactly,
as a phrase, and an unclosed quote quotes the rest of the text. Text without a single letter
or digit ("%", "--") looks for nothing and finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hindsight.domain.errors import InvalidParameter

MAX_LENGTH = 200
MAX_TERMS = 16
# Runs of letters and digits: what SQLite's unicode61 tokenizer and the search documents'
# normalisation for PostgreSQL (store/search) both treat as one word.
WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """Consecutive words that must appear in this order; the last one may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class TextQuery:
    """All terms must match (in any field the search covers); no terms match nothing."""

    terms: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.terms

    def fts5(self) -> str:
        """The query in SQLite FTS5's syntax: each term a quoted string, so none is an operator."""
        return " ".join(
            '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in self.terms
        )

    def tsquery(self) -> str:
        """The query in PostgreSQL's to_tsquery syntax; words are letters and digits only."""
        parts = []
        for term in self.terms:
            words = [f"'{w}'" for w in term.words]
            if term.prefix:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
        return " & ".join(parts)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for t in self.terms for w in t.words)


def words_of(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def parse(text: str) -> TextQuery:
    """The query `text` asks for; InvalidParameter if it is too long or holds NUL."""
    if len(text) > MAX_LENGTH:
        raise InvalidParameter(f"q is at most {MAX_LENGTH} characters")
    if "\x00" in text:
        raise InvalidParameter("q must not contain NUL characters")
    terms: list[Term] = []
    for match in _PIECE.finditer(text):
        quoted, bare = match.group(1), match.group(2)
        piece = quoted if quoted is not None else bare
        words = tuple(words_of(piece))
        if not words:
            continue
        terms.append(Term(words=words, prefix=bare is not None))
    if len(terms) > MAX_TERMS:
        raise InvalidParameter(f"q may hold at most {MAX_TERMS} words or phrases")
    return TextQuery(terms=tuple(terms))
