"""Partners' personal links: each partner's signed letter of adhesion may come back through a link of its own
(signed, for one application and one partner, expiring, revocable); a signed file says which link brought it

Revision ID: e5a1c7d9f3b2
Revises: c9e5a3b7d2f1
Create Date: 2026-12-02 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c7d9f3b2'
down_revision = 'c9e5a3b7d2f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'link_adesione',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.String(length=20), nullable=False),
        sa.Column('chiave_sha256', sa.String(length=64), nullable=False),
        sa.Column('creato_da', sa.Integer(), nullable=True),
        sa.Column('creato_at', sa.DateTime(), nullable=False),
        sa.Column('scade_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_link_adesione_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['creato_da'], ['user_account.id'],
                                name=op.f('fk_link_adesione_creato_da_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by'], ['user_account.id'],
                                name=op.f('fk_link_adesione_revoked_by_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_adesione')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('link_adesione', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_adesione_application_id'), ['application_id'], unique=False)
        batch_op.create_index('uq_link_adesione_aperto', ['application_id', 'partner_id'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))
    with op.batch_alter_table('file_firmato', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_file_firmato_link_id_link_adesione'), 'link_adesione',
                                    ['link_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('file_firmato', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_file_firmato_link_id_link_adesione'), type_='foreignkey')
        batch_op.drop_column('link_id')
    with op.batch_alter_table('link_adesione', schema=None) as batch_op:
        batch_op.drop_index('uq_link_adesione_aperto')
        batch_op.drop_index(batch_op.f('ix_link_adesione_application_id'))
    op.drop_table('link_adesione')
