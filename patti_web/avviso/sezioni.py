"""THE list of an application's sections: what each is called, which part of the document it holds, whether it is
a list, how one of its items is named, and when it counts as started.

Everything that goes section by section reads this table: the task list and its states, the rule engine (which
section a finding belongs to, how its message names the item), the routes and pages of the portal, the removal
pages, the activity page, the forms (a form names the section it edits) and the documents (the draft's errors,
section by section). Adding a section is one entry here, its model in `domanda.py`, its form, its rules and its
templates.

Names (docs/glossary.md): `chiave` is the section's one name, in its URL, in the task list and in the revisions
("partenariato"); `attributo` is the document's key it holds ("partner"); a list section's `elemento` is what one of
its items is called, in code and in the name of its page ("partner", "settore"). A save of a single section goes
back to the task list, a save of a list item to the section's list.

No Flask and no database here.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from patti_web.avviso.domanda import Domanda
from patti_web.i18n import N_
from patti_web.i18n import gettext as _

# How far a name shown in a message may go ("Partner 4 «Cooperativa Il Ponte»").
NAME_SHOWN = 60


def _shortened(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= NAME_SHOWN else text[:NAME_SHOWN - 1].rstrip() + "\u2026"


@dataclass(frozen=True)
class Sezione:
    """One section of the application."""

    chiave: str
    attributo: str
    etichetta: str
    # List sections: what one item is called ("partner"), its label ("Partner") and its name (a function of it).
    elemento: str = ""
    etichetta_elemento: str = ""
    nome: Callable[[Any], str] | None = None
    # Items numbered by their own code ("Fabbisogno F1"), not by their place in the list ("Partner 4").
    numerati_per_codice: bool = False
    # Other attributes of the document the section's page edits ("titolo" beside the capofila).
    altri_attributi: tuple[str, ...] = ()
    # The list sections whose items refer to this one's items, and the field that holds the ids they refer to
    # (interventions cite needs by code): removing an item leaves them pointing at nothing, which its page says.
    citato_da: tuple[tuple[str, str], ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.elemento)

    @property
    def attributi(self) -> tuple[str, ...]:
        """Every attribute of the document the section holds, its own last."""
        return (*self.altri_attributi, self.attributo)

    @property
    def label(self) -> str:
        return _(self.etichetta)

    def value(self, domanda: Domanda) -> dict[str, Any]:
        """What the section holds in a document, by attribute."""
        return {name: getattr(domanda, name) for name in self.attributi}

    def items(self, domanda: Domanda) -> list:
        return getattr(domanda, self.attributo) if self.is_list else []

    def started(self, domanda: Domanda) -> bool:
        """Has anyone written in it? A list with an item; a single section whose part is not empty any more (the
        title, given when the application is created, does not count)."""
        value = getattr(domanda, self.attributo)
        if self.is_list:
            return bool(value)
        return value != type(value)()

    def _number(self, item: Any, index: int) -> str:
        number = getattr(item, "id", "") if self.numerati_per_codice else ""
        return _("%(item)s %(n)s", item=_(self.etichetta_elemento), n=number or index + 1)

    def item_name(self, item: Any, index: int) -> str:
        """How messages call one item: "Partner 4 «Cooperativa Il Ponte»", "Fabbisogno F1 «Saldatori»"."""
        name = _shortened(self.nome(item)) if self.nome is not None else ""
        label = self._number(item, index)
        return _("%(label)s \u00ab%(name)s\u00bb", label=label, name=name) if name else label

    def item_title(self, item: Any, index: int) -> str:
        """How pages call one item: its own name ("Cooperativa Il Ponte"), or its number when it has none."""
        name = _shortened(self.nome(item)) if self.nome is not None else ""
        return name or self._number(item, index)

    @property
    def item_model(self) -> type:
        """The model of one item of a list section (Partner for partenariato)."""
        return typing.get_args(Domanda.model_fields[self.attributo].annotation)[0]

    def citing(self, domanda: Domanda, item_id: str) -> list[str]:
        """The items of other sections that refer to this section's item `item_id`, named as messages name them."""
        names = []
        for chiave, campo in self.citato_da:
            other = BY_KEY[chiave]
            names += [other.item_name(item, index) for index, item in enumerate(other.items(domanda))
                      if item_id in getattr(item, campo)]
        return names

    def find(self, domanda: Domanda, item_id: str) -> tuple[int, Any] | None:
        """An item by its id, with its place in the list; None when there is none."""
        for index, item in enumerate(self.items(domanda)):
            if item.id == item_id:
                return index, item
        return None


def _sector_name(settore) -> str:
    return settore.descrizione or ", ".join(settore.ateco)


SEZIONI: tuple[Sezione, ...] = (
    Sezione("capofila", "capofila", N_("Lead partner"), altri_attributi=("titolo",)),
    Sezione("partenariato", "partner", N_("Partnership"), elemento="partner", etichetta_elemento=N_("Partner"),
            nome=lambda p: p.denominazione),
    Sezione("territorio", "territorio", N_("Territory")),
    Sezione("settori", "settori", N_("Sectors and supply chains"), elemento="settore",
            etichetta_elemento=N_("Sector"), nome=_sector_name),
    Sezione("fabbisogni", "fabbisogni", N_("Skills needs"), elemento="fabbisogno",
            etichetta_elemento=N_("Need"), nome=lambda f: f.titolo, numerati_per_codice=True,
            citato_da=(("interventi", "fabbisogni"),)),
    Sezione("interventi", "interventi", N_("Interventions"), elemento="intervento",
            etichetta_elemento=N_("Intervention"), nome=lambda i: i.titolo),
)
BY_KEY: dict[str, Sezione] = {s.chiave: s for s in SEZIONI}
LISTS: tuple[Sezione, ...] = tuple(s for s in SEZIONI if s.is_list)
# The section that holds each attribute of the document ("titolo" is the capofila's page).
BY_ATTRIBUTE: dict[str, Sezione] = {name: s for s in SEZIONI for name in s.attributi}
# Not a section of the document: the last step of the task list (read everything, print the documents).
RIEPILOGO = "riepilogo"


def of_path(path: str) -> Sezione | None:
    """The section a document path is in: `partner[2].categoria` -> partenariato; None for `domanda`."""
    return BY_ATTRIBUTE.get(path.split("[")[0].split(".")[0])

