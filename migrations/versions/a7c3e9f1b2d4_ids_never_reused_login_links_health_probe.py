"""Ids never reused, one-time login links, the health check's row

- On SQLite, the tables whose ids name things kept elsewhere (applications and their PDF folders, accounts,
  invitations, memberships, revisions) become AUTOINCREMENT: a deleted row's id is never given to a new one (without
  it SQLite gives the next row max(id)+1, so deleting the last application handed its id to the next import).
  PostgreSQL's sequences never go back: nothing to do there.
- `user_account.link_accesso_usato_at`: when a login link (mailed while the address was limited) was last used; the
  links mailed before it stop working.
- `salute`: one row the health check writes, to tell a database that accepts writes from one that only answers.

Revision ID: a7c3e9f1b2d4
Revises: 5e1a9c2b7d40
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = '5e1a9c2b7d40'
branch_labels = None
depends_on = None

TABLES = ("application", "user_account", "invitation", "membership", "revision")


def _autoincrement(value: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # Recreated (copied, then renamed): SQLite cannot add AUTOINCREMENT to a table in place. The copy keeps
        # every id, and the new table's sequence starts after the largest one.
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": value}):
            pass


def upgrade():
    op.create_table(
        'salute',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_salute')),
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_accesso_usato_at', sa.DateTime(), nullable=True))
    _autoincrement(True)


def downgrade():
    _autoincrement(False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('link_accesso_usato_at')
    op.drop_table('salute')
