"""Applications as the portal keeps them: stored documents with versions, who may do what, and the use cases that
read and change them. Views and the command line call what this package exports, and never a model or `db`.

- `models`: the row that stores a domanda (its document, version and summary), memberships, revisions;
- `access`: roles, and the check that reads an application's columns with the user's role in one statement;
- `analysis`: what the rules say of a version, computed once per version and kept per worker; the summary columns;
- `versions`: one save is one new version (compare-and-set, revisions, the rebuilt base of an old form);
- `merge`: the three-way merge of a form opened on an older version (pure);
- `operations`: the use cases (create, import, duplicate, delete, save a section, add/change/remove an item);
- `activity`: the saves of an application, for its activity page.

Each use case commits once; reads commit nothing, except a summary counted by other rules, rewritten when read.
"""

from patti_web.domande.access import (
    BOZZA,
    COLLABORATORE,
    EDIT,
    LETTORE,
    MANAGE,
    MEMBER_ROLES,
    PRESENTATA,
    READ,
    STAFF,
    TITOLARE,
    Forbidden,
    Frozen,
    Head,
    NotFound,
    OnRecord,
    get_head,
    is_db_id,
)
from patti_web.domande.activity import ACTIVITY_SHOWN, Change, activity
from patti_web.domande.analysis import Analysis, State, analyse, list_domande, load
from patti_web.domande.merge import FieldChange, flatten
from patti_web.domande.operations import (
    Conflict,
    ItemGone,
    ItemProblem,
    ItemsRefused,
    Saved,
    add_item,
    add_items,
    added_with,
    check_new_items,
    create_domanda,
    delete_domanda,
    duplicate_domanda,
    get_item,
    import_domanda,
    next_need_code,
    remove_item,
    revisions,
    save_section,
    update_item,
    when_deleted,
)
from patti_web.domande.versions import Busy, DuplicateSubmission, Refused

__all__ = [
    "ACTIVITY_SHOWN", "BOZZA", "COLLABORATORE", "EDIT", "LETTORE", "MANAGE", "MEMBER_ROLES", "PRESENTATA", "READ",
    "STAFF", "TITOLARE", "Analysis", "Busy", "Change", "Conflict", "DuplicateSubmission", "FieldChange", "Forbidden",
    "Frozen", "Head", "ItemGone", "ItemProblem", "ItemsRefused", "OnRecord",
    "NotFound", "Refused", "Saved", "State", "activity", "add_item", "add_items", "added_with", "analyse",
    "check_new_items", "create_domanda",
    "delete_domanda", "duplicate_domanda", "flatten", "get_head", "get_item", "import_domanda", "is_db_id",
    "list_domande", "load", "next_need_code", "remove_item", "revisions", "save_section", "update_item", "when_deleted",
]
