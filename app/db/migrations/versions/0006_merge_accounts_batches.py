"""join the accounts and batches branches into one head

Revision ID: 0006
Revises: 0004, 0005
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

revision = "0006"
down_revision = ("0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Both branches only add tables of their own; joining them changes no schema."""


def downgrade() -> None:
    """Nothing to undo: the branches' own downgrades remove their tables."""
