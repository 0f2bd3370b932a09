"""A person's codice fiscale against their name: its first six letters come from the surname and the name.

The rule (D.M. 23/12/1976): three letters from the surname, its consonants in order, then its vowels, then X; three
from the name, the same way, except that a name of four or more consonants gives the 1st, 3rd and 4th. Accents,
apostrophes, spaces and other signs do not count ("Saccà" is SACCA, "D'Angelo" DANGELO, "De Luca" DELUCA). Omocodia
(the Agenzia delle Entrate replacing digits of a code with letters when two people would share one) touches only
the date and place, never these six letters, so an omocodic code is compared the same way.

python-codicefiscale does the same letters, but through python-slugify (with text-unidecode, dual Artistic/GPL),
python-fsutil, python-dateutil and a 7 MB table of municipalities loaded for anything else it does; the check
characters are python-stdnum's already (patti_web.avviso.regole). Ten lines of our own are the lighter choice.

No Flask, no database.
"""

from __future__ import annotations

import unicodedata

VOWELS = frozenset("AEIOU")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
PERSON_LENGTH = 16


def _letters(text: str) -> str:
    """The letters A-Z of a name, upper case, accents taken off (à -> A); anything else dropped."""
    decomposed = unicodedata.normalize("NFKD", text or "").upper()
    return "".join(char for char in decomposed if char in LETTERS)


def _three(consonants: list[str], vowels: list[str]) -> str:
    return "".join([*consonants, *vowels, "X", "X", "X"][:3])


def surname_letters(cognome: str) -> str:
    """The three letters a surname gives a codice fiscale: "Saccà" -> "SCC", "Fo" -> "FOX"."""
    letters = _letters(cognome)
    return _three([c for c in letters if c not in VOWELS], [c for c in letters if c in VOWELS])


def name_letters(nome: str) -> str:
    """The three letters a first name gives a codice fiscale: "Roberto" -> "RRT" (1st, 3rd and 4th of its four
    consonants), "Luca" -> "LCU", "Ea" -> "EAX"."""
    letters = _letters(nome)
    consonants = [c for c in letters if c not in VOWELS]
    if len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return _three(consonants, [c for c in letters if c in VOWELS])


def expected_letters(nome: str, cognome: str) -> str:
    """The six letters surname and name give, as people compare them: "SCC RRT"."""
    return f"{surname_letters(cognome)} {name_letters(nome)}"


def is_person_code(cf: str) -> bool:
    """A person's codice fiscale (16 characters, starting with six letters), not an organisation's 11 digits."""
    code = "".join((cf or "").split()).upper()
    return len(code) == PERSON_LENGTH and all(char in LETTERS for char in code[:6])


def cf_matches_name(cf: str, nome: str, cognome: str) -> bool:
    """Do the first six letters of a person's codice fiscale come from this surname and name?

    True whenever there is nothing to compare: an empty code or name, or a code that is not a person's (an
    organisation's 11 digits). Check characters are not looked at here (python-stdnum does that).
    """
    if not is_person_code(cf) or not _letters(nome) or not _letters(cognome):
        return True
    code = "".join(cf.split()).upper()
    return code[:6] == surname_letters(cognome) + name_letters(nome)
