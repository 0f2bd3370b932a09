"""Bytes on the wire of the first page and of the partnership page: HTML, CSS and JavaScript, as the server sends
them to a browser that accepts compression (brotli, gzip) and to one that does not.

    .venv/bin/python -m benchmarks.page_weight [--partners 100]

A first visit downloads everything below; afterwards the fingerprinted CSS and JavaScript stay in the browser's
cache for a year (Cache-Control: immutable) and only the HTML travels.
"""

from __future__ import annotations

import argparse
import re

from benchmarks._app import portal_with_application

BUDGET = 60 * 1024


def sent(client, url: str, encoding: str) -> int:
    response = client.get(url, headers={"Accept-Encoding": encoding} if encoding else {})
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.data)
    response.close()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100)
    args = parser.parse_args()
    app, client, application_id = portal_with_application(args.partners)
    visitor = app.test_client()
    print("| page | resource | uncompressed | gzip | brotli |")
    print("|---|---|---:|---:|---:|")
    for page, page_client, url in (("home", visitor, "/"),
                                   (f"partenariato, {args.partners} partners", client,
                                    f"/domande/{application_id}/partenariato")):
        html = page_client.get(url).data
        assets = [a.decode() for a in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)]
        totals = [0, 0, 0]
        for name, who, resource in ((f"HTML {url}", page_client, url), *((a, visitor, a) for a in assets)):
            sizes = [sent(who, resource, encoding) for encoding in ("", "gzip", "br")]
            totals = [t + s for t, s in zip(totals, sizes, strict=True)]
            print(f"| {page} | {name} | {sizes[0]:,} | {sizes[1]:,} | {sizes[2]:,} |")
        print(f"| **{page}** | **total** | **{totals[0]:,}** | **{totals[1]:,}** | **{totals[2]:,}** |")


if __name__ == "__main__":
    main()
