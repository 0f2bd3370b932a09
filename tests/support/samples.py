"""Realistic made-up applications of any size, for benchmarks, screenshots and tests (valid check digits)."""

from __future__ import annotations

import random
import unicodedata

from stdnum import luhn

from patti_web.avviso.domanda import (
    Capofila,
    Domanda,
    Fabbisogno,
    Fonte,
    Intervento,
    LegaleRappresentante,
    LegaleRappresentanteCapofila,
    Partner,
    Referente,
    Sede,
    Settore,
    Territorio,
)
from patti_web.avviso.edizioni import Edizione

_NOMI = ["Giulia", "Marco", "Anna", "Luca", "Elena", "Paolo", "Sara", "Davide", "Chiara", "Matteo", "Francesca"]
_COGNOMI = ["Rossi", "Bianchi", "Saccà", "Colombo", "Ferrari", "Brambilla", "Galli", "Fumagalli", "Villa", "Conti"]
_COMUNI = {"BS": ("Brescia", "25121"), "BG": ("Bergamo", "24121"), "MI": ("Milano", "20121"),
           "MN": ("Mantova", "46100"), "CR": ("Cremona", "26100"), "VA": ("Varese", "21100")}
_FORME = ["S.r.l.", "S.p.A.", "Soc. Coop.", "S.n.c.", "APS", "ETS"]


def partita_iva(seed: int) -> str:
    """A syntactically valid partita IVA (Luhn check digit), unique for each seed."""
    base = f"{(seed * 7919) % 10_000_000:07d}" + "017"
    return base + luhn.calc_check_digit(base)


def sample_domanda(edizione: Edizione, partners: int = 6, *, seed: int = 1) -> Domanda:
    """A complete, valid application with `partners` members besides the lead (at least 6)."""
    rng = random.Random(seed)
    partners = max(partners, 6)
    categorie = [c.chiave for c in edizione.categorie_obbligatorie] + [
        c.chiave for c in edizione.categorie_ulteriori
    ]
    elenco = []
    for i in range(partners):
        categoria = categorie[i] if i < len(categorie) else rng.choice(categorie)
        sigla = rng.choice(list(_COMUNI))
        comune, cap = _COMUNI[sigla]
        nome, cognome = rng.choice(_NOMI), rng.choice(_COGNOMI)
        rappresentante = LegaleRappresentante(nome=rng.choice(_NOMI), cognome=rng.choice(_COGNOMI))
        elenco.append(
            Partner(
                id=f"p{i + 1}",
                denominazione=f"{cognome} & {rng.choice(_COGNOMI)} {rng.choice(_FORME)} n. {i + 1}",
                categoria=categoria,
                codice_fiscale=partita_iva(seed * 10_000 + i + 1),
                sede=Sede(indirizzo=f"Via Roma {i + 1}", comune=comune, provincia=sigla, cap=cap),
                pec=f"partner{i + 1}@pec.example.it",
                referente=Referente(nome=nome, cognome=cognome, email=f"{nome.lower()}.{i + 1}@example.it"),
                legale_rappresentante=rappresentante,
                rea=f"{sigla}-{100000 + i}" if categoria == "imprese" else "",
            )
        )
    return Domanda(
        titolo="Patto per la meccanica e la meccatronica della Lombardia orientale",
        capofila=Capofila(
            denominazione="Camera di Commercio, Industria, Artigianato e Agricoltura di Brescia",
            tipologia="camera_commercio",
            codice_fiscale="80013870177",
            sede=Sede(indirizzo="Via Luigi Einaudi 23", comune="Brescia", provincia="BS", cap="25121"),
            pec="protocollo@bs.legalmail.camcom.it",
            legale_rappresentante=LegaleRappresentanteCapofila(nome="Roberto", cognome="Saccà",
                                                               codice_fiscale="SCCRRT85T10A562X"),
            referente=Referente(nome="Giulia", cognome="Bianchi", email="giulia.bianchi@example.it",
                                telefono="030 3725111"),
        ),
        partner=elenco,
        territorio=Territorio(ambito="interprovinciale", province=["BS", "BG", "MN", "CR"]),
        settori=[
            Settore(id="s1", descrizione="Meccanica, meccatronica e automazione industriale",
                    ateco=["25.62", "28.41", "28.99"]),
            Settore(id="s2", descrizione="Logistica della filiera metalmeccanica", ateco=["52.29"]),
        ],
        fabbisogni=[
            Fabbisogno(
                id="F1",
                titolo="Tecnici di automazione e robotica",
                descrizione="Le imprese meccaniche del territorio segnalano la mancanza di tecnici capaci di "
                "programmare e mantenere celle robotizzate.\nIl fabbisogno stimato è di 400 figure in tre anni.",
                lacune_politiche_attive="I corsi finanziati oggi coprono la sola manutenzione di base e non la "
                "programmazione di robot collaborativi.",
                fonti=[
                    Fonte(titolo="Sistema informativo Excelsior, previsioni 2022-2026", autore="Unioncamere - ANPAL",
                          anno=2022, url="https://excelsior.unioncamere.net/"),
                    Fonte(titolo="Indagine sui fabbisogni formativi della meccanica bresciana",
                          autore="Università degli Studi di Brescia", anno=2022),
                ],
            ),
            Fabbisogno(
                id="F2",
                titolo="Competenze digitali per la logistica",
                descrizione="La filiera logistica chiede addetti capaci di usare sistemi WMS e tracciabilità.",
                lacune_politiche_attive="Le misure in corso non prevedono percorsi brevi per lavoratori occupati.",
                fonti=[Fonte(titolo="Rapporto sul mercato del lavoro in Lombardia", autore="Polis Lombardia",
                             anno=2022)],
            ),
        ],
        interventi=[
            Intervento(id="i1", titolo="Percorso ITS in meccatronica avanzata",
                       descrizione="Un percorso biennale co-progettato con le imprese del Patto.",
                       destinatari="Diplomati under 30 e lavoratori in riqualificazione", fabbisogni=["F1"]),
            Intervento(id="i2", titolo="Moduli brevi su WMS e tracciabilità",
                       descrizione="Moduli di 40 ore per lavoratori occupati della logistica.",
                       destinatari="Lavoratori occupati", fabbisogni=["F1", "F2"]),
        ],
    )


def codice_fiscale(cognome: str, nome: str, nascita: str = "80A01", comune: str = "B157") -> str:
    """A person's codice fiscale that agrees with the name (born on `nascita`, "80A01" = 1 January 1980, in the
    comune of cadastral code `comune`), with its check letter: for people the tests make sign."""
    from stdnum.it.codicefiscale import calc_check_digit

    def letters(text: str) -> list[str]:
        return [c for c in unicodedata.normalize("NFKD", text.upper()) if "A" <= c <= "Z"]

    def code(text: str, name: bool) -> str:
        consonants = [c for c in letters(text) if c not in "AEIOU"]
        if name and len(consonants) >= 4:
            consonants = [consonants[0], consonants[2], consonants[3]]
        return "".join([*consonants, *(c for c in letters(text) if c in "AEIOU"), "X", "X", "X"][:3])

    body = code(cognome, False) + code(nome, True) + nascita + comune
    return body + calc_check_digit(body)
