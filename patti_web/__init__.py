"""Patti Web: prepare, check and print the manifestazione di interesse for Regione Lombardia's Patti territoriali.

One package per area (docs/glossary.md names the things they hold):

- `avviso`: the call and what it asks of an application, pure (editions, the document, the sections, the rules);
- `domande`: applications as stored (versions, access, merge, use cases);
- `documenti`: the act and the letters of adhesion (DOCX, PDF/A, the PDF cache);
- `persone`: accounts, logins, invitations, mail, rate limits;
- `web`: the portal (the app factory, one blueprint and its forms per area, errors, htmx, security, assets);
- `cli`: the command line; `config` (the only reader of the environment), `extensions`, `i18n`, `portal`.
"""

from patti_web.web.app import create_app

__all__ = ["create_app"]
