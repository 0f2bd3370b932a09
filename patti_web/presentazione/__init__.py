"""Filing the manifestazione: the signed act and the partners' signed letters come back, each checked against the PDF
the portal generated for the version it signs (issue 15, in progress).

- `firme`: the checks of one signed file (PAdES or CAdES), offline, pure: no Flask, no database;
- `archivio`: where the signed files are kept, by their SHA-256 (a folder under instance/, behind a small interface);
- `models`: the signed files of an application, each for a document and a version; the partners' personal links;
- `operations`: upload a signed file (by a user, or through a partner's link), the table of what must be signed and
  its state;
- `links`: a partner's personal link (make, revoke, open): the partner uploads its own signed letter without an
  account.
"""
