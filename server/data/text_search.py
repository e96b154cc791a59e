"""``$search`` on entities, as Central reads it: PostgreSQL's ``websearch_to_tsquery`` in
the ``simple`` configuration, matched against an entity's label and the string values of
its properties.

The text is cut into words (runs of letters and digits, in lower case, as the ``simple``
configuration leaves them). The search is words that must all be there; ``"a phrase"``
whose words must follow each other in one value; ``or`` between two parts, either of
which will do (``and`` binds tighter, as in a tsquery); and ``-word`` or ``-"a phrase"``,
which must not be there. Anything else (punctuation, a lone ``-``) is ignored; a search
with no words matches everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """Words that must follow one another (one word: just that word); ``negated``: must
    not be there."""

    words: tuple[str, ...]
    negated: bool = False


# Alternatives, each a list of terms that must all hold.
Search = list[list[Term]]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def parse_search(text: str | None) -> Search | None:
    """The search, or None when there is none (no text, or no words in it)."""
    if text is None:
        return None
    alternatives: Search = [[]]
    for match in _PIECE.finditer(text):
        quoted_minus, quoted, bare = match.groups()
        if bare is not None:
            if bare.lower() == "or":
                if alternatives[-1]:
                    alternatives.append([])
                continue
            negated = bare.startswith("-")
            found = words(bare[1:] if negated else bare)
            # An unquoted "foo-bar" or "a.b" is a phrase of its words, as in PostgreSQL.
            term = Term(tuple(found), negated) if found else None
        else:
            found = words(quoted)
            term = Term(tuple(found), bool(quoted_minus)) if found else None
        if term is not None:
            alternatives[-1].append(term)
    alternatives = [terms for terms in alternatives if terms]
    return alternatives or None


def matches(search: Search, texts: Iterable[str | None]) -> bool:
    """Whether the texts (an entity's label and values) answer the search."""
    tokenised = [words(text) for text in texts if text]
    return any(all(_holds(term, tokenised) for term in terms) for terms in search)


def _holds(term: Term, tokenised: list[list[str]]) -> bool:
    found = any(_contains(tokens, term.words) for tokens in tokenised)
    return not found if term.negated else found


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(tokens[i : i + size]) == phrase for i in range(len(tokens) - size + 1))
