"""Search the ISTAT ATECO classification with ordinary words or codes, the way a sector is described.

"commercio al dettaglio" finds 47.x, "bar" finds 56.30, "alberghi" finds "Alberghi e strutture simili", "47" lists
47 and its classes. Words match whatever their accents, case and order, in any of their forms: the Italian Snowball
stem (ristorante, ristorazione) or the word without its ending (parrucchiere, parrucchieri); the last word may be
typed only in part ("commercio al dett").

Ranking: a code, then codes that start with it; else titles that hold every word, whole words before words typed in
part, classes (47.71, 56.30: what a sector uses) before groups, divisions and sections, then entries whose group and
division also hold the words (47.19 under "Commercio al dettaglio" before 45.32), shorter titles first; last, entries
whose explanatory notes hold every word; when nothing holds every word ("bar tabacchi"), the titles that hold the most
of them. A title repeated down the levels (56.3, 56.30, 56.30.0, 56.30.00)
shows once, as the class. The index is built once per edition of the classification, from the `ateco` package.

Trades are named by who does them ("elettricista", "imbianchino"), titles by the activity ("Installazione di impianti
elettrici", "Tinteggiatura"): TRADES turns the first into the words of the second before searching. A word may stand
for several activities ("officina": a machine shop or a car repair shop; "turismo": hotels and travel agencies):
SEVERAL lists them, each is searched and their titles are taken in turn, then the titles that hold the words as
typed, then the notes' hits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest

import ateco

from patti_web.avviso.words import plain, stems, words

CODE = re.compile(r"^([a-u]|\d{1,2}(\.\d{0,2}){0,2})$", re.I)
# Classes first: they are what a sector is described with; then the levels above, then the finer ones.
LEVEL_ORDER = {"class": 0, "group": 1, "division": 2, "category": 3, "subcategory": 4, "section": 5}


# Who does the work -> the words the classification uses for it (plain words: no accents, lower case).
TRADES = {
    ("elettricista",): ("impianti", "elettrici"),
    ("elettricisti",): ("impianti", "elettrici"),
    ("imbianchino",): ("tinteggiatura",),
    ("imbianchini",): ("tinteggiatura",),
    ("autofficina",): ("riparazione", "autoveicoli"),
    ("autoriparazione",): ("riparazione", "autoveicoli"),
    ("carrozzeria",): ("carrozzeria", "autoveicoli"),
    ("commercialista",): ("contabilita",),
    ("commercialisti",): ("contabilita",),
    ("avvocato",): ("studi", "legali"),
    ("avvocati",): ("studi", "legali"),
    ("dentista",): ("studi", "odontoiatrici"),
    ("dentisti",): ("studi", "odontoiatrici"),
    ("architetto",): ("architettura",),
    ("architetti",): ("architettura",),
    ("traduttore",): ("traduzione",),
    ("traduttori",): ("traduzione",),
    ("badante",): ("personale", "domestico"),
    ("badanti",): ("personale", "domestico"),
    ("colf",): ("personale", "domestico"),
    ("agriturismo",): ("alloggio", "aziende", "agricole"),
    ("agriturismi",): ("alloggio", "aziende", "agricole"),
    ("edicola",): ("giornali",),
    ("negozio",): ("commercio", "dettaglio"),
    ("negozi",): ("commercio", "dettaglio"),
    ("scarpe",): ("calzature",),
    ("gommista",): ("riparazione", "pneumatici"),
    ("gommisti",): ("riparazione", "pneumatici"),
    ("edicole",): ("giornali",),
    ("trasporto", "persone"): ("trasporto", "passeggeri"),
    ("trasporti", "persone"): ("trasporto", "passeggeri"),
    # Workshop and sector words: what a firm or a Patto calls itself, never a title's word.
    ("tornitura",): ("meccanica", "generale"),
    ("torneria",): ("meccanica", "generale"),
    ("tornerie",): ("meccanica", "generale"),
    ("tornitore",): ("meccanica", "generale"),
    ("tornitori",): ("meccanica", "generale"),
    ("fresatura",): ("meccanica", "generale"),
    ("carpenteria", "metallica"): ("strutture", "metalliche"),
    ("carpenterie", "metalliche"): ("strutture", "metalliche"),
    ("meccatronica",): ("macchinari", "apparecchiature"),
    ("agricoltura",): ("coltivazioni", "agricole"),
    ("cooperativa", "sociale"): ("assistenza", "sociale"),
    ("cooperative", "sociali"): ("assistenza", "sociale"),
}

# Words that stand for more than one activity: each is searched, their results taken in turn (the first of each,
# then the second of each, ...), so that every activity shows among the first results.
SEVERAL = {
    ("officina",): (("meccanica", "generale"), ("riparazione", "autoveicoli")),
    ("officine",): (("meccanica", "generale"), ("riparazione", "autoveicoli")),
    ("metalmeccanica",): (("prodotti", "metallo"), ("macchinari", "apparecchiature")),
    ("metalmeccaniche",): (("prodotti", "metallo"), ("macchinari", "apparecchiature")),
    ("metalmeccanico",): (("prodotti", "metallo"), ("macchinari", "apparecchiature")),
    ("metalmeccanici",): (("prodotti", "metallo"), ("macchinari", "apparecchiature")),
    ("edilizia",): (("costruzione", "edifici"), ("lavori", "costruzione", "specializzati")),
    ("edile",): (("costruzione", "edifici"), ("lavori", "costruzione", "specializzati")),
    ("edili",): (("costruzione", "edifici"), ("lavori", "costruzione", "specializzati")),
    ("turismo",): (("alberghi",), ("agenzie", "viaggio")),
    ("turistico",): (("alberghi",), ("agenzie", "viaggio")),
    ("turistica",): (("alberghi",), ("agenzie", "viaggio")),
}


# Words that name any business, not an activity: left out of a query that has other words ("impresa di pulizie").
ANY_BUSINESS = frozenset({"impresa", "imprese", "ditta", "ditte", "azienda", "aziende", "societa", "settore",
                          "attivita"})


def _trades(query_words: list[str]) -> list[list[str]]:
    """The query with the name of a trade replaced by the words of its activity, and without the words that name
    any business when it has others: one list of words per activity the query may mean (a word of SEVERAL gives one
    list for each of its activities)."""
    query_words = [w for w in query_words if w not in ANY_BUSINESS] or query_words
    out: list[list[str]] = [[]]
    n = 0
    while n < len(query_words):
        for size in (2, 1):
            key = tuple(query_words[n:n + size])
            if len(key) == size and (key in TRADES or key in SEVERAL):
                meanings = SEVERAL.get(key) or (TRADES[key],)
                out = [[*head, *meaning] for head in out for meaning in meanings]
                n += size
                break
        else:
            out = [[*head, query_words[n]] for head in out]
            n += 1
    return out


@dataclass(frozen=True)
class Result:
    code: str
    title: str
    level: str


@dataclass(frozen=True)
class Index:
    codes: tuple[str, ...]
    titles: tuple[str, ...]
    levels: tuple[int, ...]
    sizes: tuple[int, ...]  # words in the title
    ancestors: tuple[tuple[int, ...], ...]
    shown: frozenset[int]  # the entries a title chain shows (the others repeat their class's title)
    terms: dict[str, frozenset[int]]  # stem or word without ending -> entries whose title holds it
    note_terms: dict[str, frozenset[int]]
    words: tuple[str, ...]  # every title word, sorted (for words typed in part)
    by_word: dict[str, frozenset[int]]


def light(word: str) -> str:
    """A word without its ending: parrucchiere, parrucchieri -> parrucchier; banca, banche -> banc."""
    core = re.sub(r"[aeiou]+$", "", word) or word
    return re.sub(r"([cg])h$", r"\1", core)


def terms(items: list[str]) -> set[str]:
    """The forms a word is found by: its Snowball stem and its light form."""
    return set(stems(items)) | {light(w) for w in items}


def _all_nodes(edition: str) -> dict:
    """Every node of an edition, from the package's public API (its search finds every node but the few whose
    text holds no "."; their descendants name them as parents)."""
    nodes = {n.code: n for n in ateco.search(".", edition=edition, limit=100_000)}
    missing = [n.parent for n in nodes.values() if n.parent and n.parent not in nodes]
    while missing:
        code = missing.pop()
        if code not in nodes:
            node = ateco.lookup(code, edition=edition)
            nodes[code] = node
            if node.parent:
                missing.append(node.parent)
    return nodes


def _sort_key(code: str) -> tuple:
    return (0, code) if code[:1].isalpha() else (1, code)


def _postings(entries: dict[int, set[str]]) -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for position, keys in entries.items():
        for key in keys:
            out.setdefault(key, set()).add(position)
    return {key: frozenset(value) for key, value in out.items()}


@cache
def index(edition: str) -> Index:
    """The search index of an edition of the classification; built once per process."""
    nodes = _all_nodes(edition)
    codes = sorted(nodes, key=_sort_key)
    position = {code: n for n, code in enumerate(codes)}
    same_as_parent = {code for code, node in nodes.items()
                      if node.parent in nodes and plain(nodes[node.parent].title) == plain(node.title)}

    def top(code: str) -> str:
        while code in same_as_parent:
            code = nodes[code].parent
        return code

    chains: dict[str, list[str]] = {}
    for code in codes:
        chains.setdefault(top(code), []).append(code)
    shown = set()
    for root, chain in chains.items():
        shown.add(next((c for c in chain if nodes[c].level == "class"), root))

    def ancestors(code: str) -> tuple[int, ...]:
        out = []
        parent = nodes[code].parent
        while parent in nodes:
            out.append(position[parent])
            parent = nodes[parent].parent
        return tuple(out)

    title_words = {n: words(nodes[code].title) for n, code in enumerate(codes)}
    note_words = {n: words(" ".join((nodes[code].notes or {}).values())) for n, code in enumerate(codes)}
    # Each distinct word is stemmed once (the notes repeat the same few thousand words 60,000 times).
    vocabulary = sorted({w for ws in (*title_words.values(), *note_words.values()) for w in ws})
    forms = {w: {stem, light(w)} for w, stem in zip(vocabulary, stems(vocabulary), strict=True)}

    def terms_of(items: list[str]) -> set[str]:
        return set().union(*(forms[w] for w in items))

    return Index(
        codes=tuple(codes),
        titles=tuple(nodes[code].title for code in codes),
        levels=tuple(LEVEL_ORDER[nodes[code].level] for code in codes),
        sizes=tuple(len(title_words[n]) for n in range(len(codes))),
        ancestors=tuple(ancestors(code) for code in codes),
        shown=frozenset(position[code] for code in shown),
        terms=_postings({n: terms_of(w) for n, w in title_words.items()}),
        note_terms=_postings({n: terms_of(w) for n, w in note_words.items()}),
        words=tuple(sorted({w for ws in title_words.values() for w in ws})),
        by_word=_postings({n: set(w) for n, w in title_words.items()}),
    )


def _found(index: Index, table: dict[str, frozenset[int]], word: str) -> set[int]:
    return set().union(*(table.get(term, frozenset()) for term in terms([word])))


def _starting_with(index: Index, prefix: str) -> set[int]:
    """Entries with a title word that starts with `prefix` (a word typed in part)."""
    start = bisect.bisect_left(index.words, prefix)
    found: set[int] = set()
    for word in index.words[start:]:
        if not word.startswith(prefix):
            break
        found |= index.by_word[word]
    return found


def search(query: str, edition: str, *, limit: int = 10) -> tuple[list[Result], int]:
    """The best `limit` entries for a code or words, and how many there are in all."""
    text = query.strip()
    idx = index(edition)
    if CODE.match(text) and (text[:1].isdigit() or len(text) == 1):
        code = text.upper().rstrip(".")
        found = [n for n in range(len(idx.codes)) if n in idx.shown and idx.codes[n].startswith(code)]
        found.sort(key=lambda n: (idx.codes[n] != code, idx.levels[n], _sort_key(idx.codes[n])))
        return _results(idx, found, limit)
    if re.fullmatch(r"[\d.\s]+", text):
        return [], 0  # digits that are no code (47.99.99.99) match no title either
    typed = words(text)
    meanings = [m for m in _trades(typed) if m]
    if not meanings or len(text) < 2:
        return [], 0
    # The words as typed still count, after their activities ("materiali edilizia": 23.61 "... per l'edilizia").
    typed = [w for w in typed if w not in ANY_BUSINESS] or typed
    matching = [_matching(idx, m) for m in meanings]
    as_typed = _matching(idx, typed) if typed not in meanings else ([], [])
    found = list(dict.fromkeys([*_in_turn([titles for titles, _ in matching]), *as_typed[0],
                                *_in_turn([notes for _, notes in matching]), *as_typed[1]]))
    if not found and len(meanings[0]) > 1:
        found = _some_words(idx, meanings[0])
    return _results(idx, found, limit)


def _matching(idx: Index, query_words: list[str]) -> tuple[list[int], list[int]]:
    """The entries whose title holds every word, best first, and those whose notes do."""
    *complete, last = query_words
    every: set[int] = set(idx.shown)
    for word in complete:
        every &= _found(idx, idx.terms, word)
    whole = every & _found(idx, idx.terms, last)
    in_part = (every & _starting_with(idx, last)) - whole
    titles = whole | in_part

    def rank(n: int) -> tuple:
        at_home = sum(a in titles for a in idx.ancestors[n])
        return (n in in_part, idx.levels[n], -at_home, idx.sizes[n], _sort_key(idx.codes[n]))

    notes = set(idx.shown) - titles
    for word in query_words:
        notes &= _found(idx, idx.note_terms, word)
    return sorted(titles, key=rank), sorted(notes, key=lambda n: (idx.levels[n], _sort_key(idx.codes[n])))


def _in_turn(lists: list[list[int]]) -> list[int]:
    """The first of each list, then the second of each, ..."""
    return [n for row in zip_longest(*lists) for n in row if n is not None]


def _some_words(idx: Index, query_words: list[str]) -> list[int]:
    """No title holds every word ("bar tabacchi"): the titles that hold most of them, a rare word (bar: 1 title)
    weighing more than a common one (tabacco: 8), classes first."""
    hits: dict[int, float] = {}
    for word in query_words:
        holding = _found(idx, idx.terms, word) & idx.shown
        for n in holding:
            hits[n] = hits.get(n, 0) + 1 / len(holding)
    return sorted(hits, key=lambda n: (-hits[n], idx.levels[n], idx.sizes[n], _sort_key(idx.codes[n])))


def _results(idx: Index, found: list[int], limit: int) -> tuple[list[Result], int]:
    levels = {v: k for k, v in LEVEL_ORDER.items()}
    return [Result(idx.codes[n], idx.titles[n], levels[idx.levels[n]]) for n in found[:limit]], len(found)
