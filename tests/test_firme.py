"""The checks of a signed file (patti_web.presentazione.firme), with no app: certification authorities and signers
made by the test (tests/support/firme.py), PAdES and CAdES, right and wrong."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pikepdf
import pytest

from patti_web.presentazione import firme
from tests.support.firme import Authority

CF = "RSSMRA85T10A562S"
OTHER_CF = "BNCGLI80A41B157X"


def _pdf(text: str = "Manifestazione di interesse") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out, static_id=True, deterministic_id=True)
    return out.getvalue()


@pytest.fixture(scope="module")
def ca():
    return Authority.make()


@pytest.fixture(scope="module")
def mario(ca):
    return ca.signer(CF)


GENERATED = _pdf()
EXPECTED = firme.Expected(GENERATED, CF, "il legale rappresentante del capofila", 14)


def _outcomes(outcome: firme.Outcome) -> dict[str, str]:
    return {check.key: check.outcome for check in outcome.checks}


def test_the_right_signer_in_pades_and_cades_is_verified(ca, mario):
    for signed in (mario.pades(GENERATED), mario.cades(GENERATED), base64.encodebytes(mario.cades(GENERATED))):
        outcome = firme.verify(signed, EXPECTED, [ca.root])
        assert outcome.state == firme.VERIFIED, outcome.checks
        assert set(_outcomes(outcome).values()) == {firme.OK}
        assert outcome.signer_cf == CF and outcome.signer_name == "Mario Rossi"
    assert firme.verify(mario.pades(GENERATED), EXPECTED, [ca.root]).format == firme.PADES
    assert firme.verify(mario.cades(GENERATED), EXPECTED, [ca.root]).format == firme.CADES


def test_without_trusted_roots_everything_but_the_chain_is_checked(mario):
    outcome = firme.verify(mario.pades(GENERATED), EXPECTED, None)
    assert outcome.state == firme.TO_BE_CHECKED
    assert _outcomes(outcome)["catena"] == firme.TO_CHECK
    assert {k: v for k, v in _outcomes(outcome).items() if k != "catena"} == dict.fromkeys(
        ("firme", "integrita", "copertura", "contenuto", "firmatario", "validita"), firme.OK)


def test_the_wrong_signer_is_named_beside_who_must_sign(ca):
    outcome = firme.verify(ca.signer(OTHER_CF, "Giulia", "Bianchi").pades(GENERATED), EXPECTED, [ca.root])
    assert outcome.state == firme.REFUSED and [c.key for c in outcome.failures] == ["firmatario"]
    assert OTHER_CF in outcome.failures[0].message and CF in outcome.failures[0].message


def test_an_expired_certificate_and_an_untrusted_authority_are_refused(ca):
    past = datetime.now(UTC) - timedelta(days=400)
    expired = ca.signer(CF, valid_from=past, valid_to=past + timedelta(days=30))
    outcome = firme.verify(expired.pades(GENERATED), EXPECTED, [ca.root])
    assert outcome.state == firme.REFUSED and "validita" in [c.key for c in outcome.failures]
    stranger = Authority.make("Autorità sconosciuta").signer(CF)
    outcome = firme.verify(stranger.cades(GENERATED), EXPECTED, [ca.root])
    assert [c.key for c in outcome.failures] == ["catena"]


def test_a_pdf_changed_after_signing_is_refused(ca, mario):
    signed = mario.pades(GENERATED)
    resaved = signed + b"\n% saved again by a viewer\n"
    assert "copertura" in [c.key for c in firme.verify(resaved, EXPECTED, [ca.root]).failures]
    at = signed.index(b"/Title") + 8
    tampered = signed[:at] + bytes([signed[at] ^ 1]) + signed[at + 1:]
    failures = [c.key for c in firme.verify(tampered, EXPECTED, [ca.root]).failures]
    assert "integrita" in failures or "contenuto" in failures


def test_the_pdf_of_another_version_or_another_file_is_refused_naming_the_version(ca, mario):
    other = _pdf("Versione precedente")
    for signed in (mario.pades(other), mario.cades(other)):
        outcome = firme.verify(signed, EXPECTED, [ca.root])
        assert [c.key for c in outcome.failures] == ["contenuto"]
        assert "14" in outcome.failures[0].message


def test_a_pdf_signed_twice_is_refused(ca, mario):
    twice = ca.signer(OTHER_CF).pades(mario.pades(GENERATED), field="Firma2")
    outcome = firme.verify(twice, EXPECTED, [ca.root])
    assert outcome.state == firme.REFUSED and outcome.failures[0].key == "firme"


@pytest.mark.parametrize("data", [b"", GENERATED, b"PK\x03\x04 not a pdf", b"\x30\x03\x02\x01\x01",
                                  b"%PDF-1.7 broken", b"-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n"])
def test_an_unsigned_empty_or_unreadable_file_is_refused_in_words(data):
    outcome = firme.verify(data, EXPECTED, None)
    assert outcome.state == firme.REFUSED and outcome.failures and outcome.failures[0].message


def test_a_detached_signature_is_refused(mario):
    info = firme.run_async(lambda: mario.simple.async_sign_general_data(GENERATED, "sha256", detached=True))
    outcome = firme.verify(info.dump(), EXPECTED, None)
    assert [c.key for c in outcome.failures] == ["contenuto"]


def test_trusted_roots_load_from_a_pem_file_or_a_folder(tmp_path, ca):
    (tmp_path / "ca.pem").write_bytes(ca.pem + Authority.make("Seconda").pem)
    assert len(firme.load_trust_roots(tmp_path / "ca.pem")) == 2
    assert len(firme.load_trust_roots(tmp_path)) == 2
    assert firme.load_trust_roots(None) is None


def test_the_checks_also_run_where_an_event_loop_is_running(ca, mario):
    """An async server, or a test runner driving a browser, runs a loop in the thread: the checks still work. (The
    loop runs in a thread of its own here, so that this test does not depend on whether this one has a loop.)"""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    signed = mario.cades(GENERATED)

    async def inside_a_loop():
        return firme.verify(signed, EXPECTED, [ca.root])

    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome = pool.submit(lambda: asyncio.run(inside_a_loop())).result()
    assert outcome.state == firme.VERIFIED


def _changed_then_signed(signer, pdf: bytes, *, same_update: bool) -> bytes:
    """The generated PDF with its first page's text replaced, then signed: in an update of its own before the
    signature's, or in the very update that adds the signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (ALTRO) Tj ET"))
    writer.update_container(page)
    if not same_update:
        out = io.BytesIO()
        writer.write(out)
        return signer.pades(out.getvalue())
    metadata = signers.PdfSignatureMetadata(field_name="Firma")
    return firme.run_async(lambda: signers.async_sign_pdf(writer, metadata, signer=signer.simple)).getvalue()


@pytest.mark.parametrize("same_update", [False, True])
def test_pages_changed_before_or_with_the_signature_are_refused(ca, mario, same_update):
    outcome = firme.verify(_changed_then_signed(mario, GENERATED, same_update=same_update), EXPECTED, [ca.root])
    assert outcome.state == firme.REFUSED and [c.key for c in outcome.failures] == ["contenuto"]


def test_without_trusted_roots_an_expired_certificate_is_still_refused(ca):
    past = datetime.now(UTC) - timedelta(days=200)
    expired = ca.signer(CF, valid_from=past - timedelta(days=30), valid_to=past + timedelta(days=30))
    outcome = firme.verify(expired.cades(GENERATED), EXPECTED, None)
    assert [c.key for c in outcome.failures] == ["validita"]


def test_a_truncated_pdf_is_refused_at_once():
    assert [c.key for c in firme.verify(b"%PDF-1.7\n" + b"x" * 5000, EXPECTED, None).failures] == ["formato"]
