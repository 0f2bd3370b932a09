"""Weight of the partnership page: HTML + CSS + JS, gzip-compressed, against the 60 KB budget.

    .venv/bin/python benchmarks/page_weight.py [--partners 10]
"""

from __future__ import annotations

import argparse
import gzip
import re

from _app import portal_with_application

BUDGET = 60 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10)
    args = parser.parse_args()
    _, client, application_id = portal_with_application(args.partners)
    html = client.get(f"/domande/{application_id}/partenariato").data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    rows = [(f"HTML (partenariato, {args.partners} partners)", html)]
    for asset in assets:
        response = client.get(asset.decode())
        rows.append((asset.decode(), response.data))
        response.close()
    total_raw = total_gz = 0
    print("| resource | bytes | gzip -9 |")
    print("|---|---:|---:|")
    for name, data in rows:
        gz = len(gzip.compress(data, 9))
        total_raw += len(data)
        total_gz += gz
        print(f"| {name} | {len(data):,} | {gz:,} |")
    print(f"| **total** | {total_raw:,} | **{total_gz:,}** ({total_gz / 1024:.1f} KB of {BUDGET // 1024} KB) |")


if __name__ == "__main__":
    main()
