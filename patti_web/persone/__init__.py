"""People: accounts and their logins, staff, invitations to an application and its members, mail, rate limits, and
forms kept across an expired session.

- `models`: accounts, logins, invitations, kept forms, rate-limit counters;
- `accounts`: register and confirm, log in and out, passwords, staff;
- `inviti`: who works on an application (invite, accept, change a role, remove, hand over);
- `mail`: mail sent outside the request; `ratelimit`: Flask-Limiter's counters in the database;
- `pending`: the storage of forms typed while a session had expired.

Each use case commits once; views and the command line never touch a model or `db` directly.
"""
