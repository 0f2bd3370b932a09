"""Text pasted from Word or a PDF: what nobody sees goes, spaces become one, lines stay (the forms' filters)."""

from patti_web.web.forms import one_line as strip
from patti_web.web.forms import strip_lines

WORD = "Officine\tRossi\u00a0S.r.l.\u00ad  \u201cOfficina\u201d\u200b \u2013 Lumezzane\ufeff"


def test_a_one_line_value_pasted_from_word_is_one_line_of_single_spaces():
    assert strip(WORD) == "Officine Rossi S.r.l. \u201cOfficina\u201d \u2013 Lumezzane"  # quotes and dashes kept
    assert strip(" a\n b\r\n\tc ") == "a b c"  # a pasted line break too: the field holds one line
    assert strip("Soft\u00adhyphen\u202fnarrow") == "Softhyphen narrow"
    assert strip(None) is None and strip(3) == 3


def test_a_text_of_several_lines_keeps_its_lines_and_loses_the_rest():
    pasted = "Prima\triga\u00a0\u00a0con tab  \r\n\r\n\u2022\tseconda\u00ad riga\u200b \r\n  terza"
    assert strip_lines(pasted) == "Prima riga con tab\n\n\u2022 seconda riga\nterza"
    assert strip_lines("una\rdue\r\ntre\n") == "una\ndue\ntre"


def test_the_filters_are_idempotent():
    for value in (WORD, "a  b\tc", "x\u00ad\u200by"):
        assert strip(strip(value)) == strip(value)
        assert strip_lines(strip_lines(value + "\r\n riga")) == strip_lines(value + "\r\n riga")
