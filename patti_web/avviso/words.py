"""Italian words as a search compares them: no accents, no case, no little words, Snowball stems.

No Flask here: the rule engine (does the lead partner represent one of the Patto's sectors?) and the ATECO search
use it alike.
"""

from __future__ import annotations

import re
import unicodedata

import snowballstemmer

# Articles, prepositions and conjunctions: they tell nothing about a sector.
STOPWORDS = frozenset(
    "a ad al allo ai agli all alla alle con col coi da dal dallo dai dagli dall dalla dalle di del dello dei degli "
    "dell della delle e ed in nel nello nei negli nell nella nelle su sul sullo sui sugli sull sulla sulle per tra "
    "fra il lo la i gli le l un uno una o od non".split()
)


def plain(text: str) -> str:
    """Lower case, accents dropped: "Attività" -> "attivita"."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def words(text: str) -> list[str]:
    """The words of a text that carry meaning, plain, in order."""
    return [w for w in re.findall(r"[a-z0-9]+", plain(text)) if w not in STOPWORDS]


def stems(items: list[str]) -> list[str]:
    """Italian Snowball stems: "alberghi" and "albergo" -> "alberg", "ristorante" and "ristorazione" -> "ristor".

    A new stemmer per call: a stemmer keeps state and is not safe to share between threads.
    """
    return snowballstemmer.stemmer("italian").stemWords(items)
