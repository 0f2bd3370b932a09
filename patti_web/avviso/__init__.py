"""The call and what it asks of an application, as pure Python: no Flask, no database.

- `edizioni/`: the editions of the call as data (who may lead, the partner categories, provinces, scopes, window);
- `domanda`: the application's document `patti-web/domanda@2` (pydantic models, the reader and the writer);
- `sezioni`: THE list of the application's sections, which every section-by-section page, rule and document reads;
- `regole`: the rule engine (findings, the checklist, the sections' states);
- `ateco`, `words`, `province`: the ATECO search, Italian words as a search compares them, the provinces' sigle.

The wall (tests/test_walls.py): nothing here imports Flask, SQLAlchemy or another package of patti_web but
`patti_web.i18n`, so the command line, the portal and a data migration read the call the same way.
"""
