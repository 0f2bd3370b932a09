"""The portal on the web: the app factory (`app`), a blueprint and its forms per area (`domande/`, `documenti/`,
`persone/`, `main`), and what every page shares: error pages (`errors`), full page or fragment (`htmx`), template
helpers (`templating`), security headers and trusted hosts (`security`), static files (`assets`, `static/`), typing
kept across an expired session (`stash`), one-time messages with a link (`messages`), shared form pieces (`forms`).

The wall (tests/test_walls.py): views import no model and no `db`; they call the use cases of the area packages.
"""
