"""Test certification authorities and signers (cryptography + pyHanko), never a real certificate: a CA, a signer
with an Italian codice fiscale in the subject's serialNumber (`TINIT-<CF>`), and PAdES and CAdES signatures made
with them, for the tests and the benchmark of patti_web.presentazione."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from patti_web.presentazione.firme import run_async


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@dataclass
class Authority:
    """A test CA: `pem` to write where PATTI_FIRMA_CA points, `signer()` to make the certificates it issues."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def make(cls, name: str = "Autorità di prova") -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(UTC)
        certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=3650))
                       .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                       .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                    key_encipherment=False, data_encipherment=False,
                                                    key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                    encipher_only=False, decipher_only=False), critical=True)
                       .sign(key, hashes.SHA256()))
        return cls(key, certificate)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def root(self) -> asn1_x509.Certificate:
        return _asn1(self.certificate)

    def signer(self, codice_fiscale: str, nome: str = "Mario", cognome: str = "Rossi", *,
               valid_from: datetime | None = None, valid_to: datetime | None = None) -> Signer:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.GIVEN_NAME, nome), x509.NameAttribute(NameOID.SURNAME, cognome),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{nome} {cognome}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINIT-{codice_fiscale}"),
        ])
        certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.certificate.subject)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(valid_from or now - timedelta(days=1))
                       .not_valid_after(valid_to or now + timedelta(days=365))
                       .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                                    key_encipherment=False, data_encipherment=False,
                                                    key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                    encipher_only=False, decipher_only=False), critical=True)
                       .sign(self.key, hashes.SHA256()))
        private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return Signer(signers.SimpleSigner(signing_cert=_asn1(certificate), cert_registry=None,
                                           signing_key=asn1_keys.PrivateKeyInfo.load(private)))


@dataclass
class Signer:
    """Someone with a test certificate, who signs PDFs (PAdES) and envelopes (CAdES)."""

    simple: signers.SimpleSigner

    def pades(self, pdf: bytes, field: str = "Firma") -> bytes:
        """The PDF signed by incremental update: the original stays a byte prefix."""
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        metadata = signers.PdfSignatureMetadata(field_name=field)
        return run_async(lambda: signers.async_sign_pdf(writer, metadata, signer=self.simple)).getvalue()

    def cades(self, content: bytes) -> bytes:
        """An enveloping CMS signature (.p7m, DER) holding `content`."""
        return run_async(lambda: self.simple.async_sign_general_data(content, "sha256", detached=False)).dump()
