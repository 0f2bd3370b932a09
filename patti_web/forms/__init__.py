"""Flask-WTF forms, one module per area. Forms check shape only; the call's rules live in rules.py."""
