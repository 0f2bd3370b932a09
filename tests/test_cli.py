"""The command line through Click's runner: every exit code of `patti check`, import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
VALID = str(DATA / "valida.json")
WITH_ERRORS = str(DATA / "con_errori.json")


def run(runner, *args):
    return runner.invoke(args=["patti", *args])


def test_check_a_valid_application_exits_0(runner):
    result = run(runner, "check", VALID)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Errori: 0; avvertenze: 0." in result.stderr


def test_check_prints_one_line_per_finding_and_exits_1(runner):
    result = run(runner, "check", WITH_ERRORS)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) >= 5
    for line in lines:
        severity, code, rest = line.split(" ", 2)
        assert severity in {"ERROR", "WARNING"}
        assert code.isupper()
        assert ": " in rest
    assert "ERROR CAPOFILA_TIPOLOGIA capofila.tipologia: " in result.stdout
    assert "WARNING ATECO_SCONOSCIUTO settori[0].ateco[1]: " in result.stdout


def test_check_as_json_is_a_list_of_findings(runner):
    result = run(runner, "check", WITH_ERRORS, "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert {tuple(sorted(f)) for f in findings} == {("code", "message", "path", "severity")}
    codes = {f["code"] for f in findings}
    assert len(codes) >= 5
    assert json.loads(run(runner, "check", VALID, "--format", "json").stdout) == []


def test_warnings_alone_exit_0(runner, tmp_path, valid_doc):
    valid_doc["settori"][0]["ateco"] = ["99.99"]
    path = tmp_path / "avvisi.json"
    path.write_text(json.dumps(valid_doc), encoding="utf-8")
    result = run(runner, "check", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("WARNING ATECO_SCONOSCIUTO")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "non esiste"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b"[]", "oggetto"),
        (b"{\"format\": \"altro\"}", "altro"),
        (b"{\"format\": \"patti-web/domanda@1\", \"extra\": 1}", "extra"),
        (b"[" * 200_000, "annidamento"),
    ],
    ids=["missing", "not utf-8", "list", "wrong format", "unknown key", "deeply nested"],
)
def test_an_unreadable_file_exits_2_with_one_italian_line(runner, tmp_path, content, expected):
    path = tmp_path / "file.json"
    if content is not None:
        path.write_bytes(content)
    result = run(runner, "check", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_50_mb_file_exits_2(runner, tmp_path):
    path = tmp_path / "grande.json"
    with path.open("wb") as fh:
        fh.write(b"{\"format\": \"patti-web/domanda@1\", \"titolo\": \"")
        fh.write(b"x" * (50 * 1024 * 1024))
        fh.write(b"\"}")
    result = run(runner, "check", str(path))
    assert result.exit_code == 2
    assert "troppo grande" in result.stderr


def test_a_folder_exits_2(runner, tmp_path):
    result = run(runner, "check", str(tmp_path))
    assert result.exit_code == 2
    assert "cartella" in result.stderr


def test_import_then_export_gives_the_same_document(runner, tmp_path):
    result = run(runner, "import", VALID)
    assert result.exit_code == 0, result.output
    application_id = result.stdout.split()[-1].rstrip(".")
    out = tmp_path / "esportata.json"
    result = run(runner, "export", application_id, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(Path(VALID).read_text(encoding="utf-8"))


def test_export_to_standard_output(runner):
    application_id = run(runner, "import", VALID).stdout.split()[-1].rstrip(".")
    result = run(runner, "export", application_id, "-o", "-")
    assert json.loads(result.stdout)["titolo"] == "Patto per la meccanica bresciana"


def test_import_of_a_bad_file_exits_2_and_stores_nothing(runner, tmp_path, app):
    from patti_web.domande.models import DomandaRecord

    path = tmp_path / "rotto.json"
    path.write_text("{", encoding="utf-8")
    result = run(runner, "import", str(path))
    assert result.exit_code == 2
    assert DomandaRecord.query.count() == 0


def test_export_of_an_unknown_id_exits_2(runner, tmp_path):
    result = run(runner, "export", "4242", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2
    assert "4242" in result.stderr
