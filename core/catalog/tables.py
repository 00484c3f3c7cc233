"""Tables owned by the catalog beyond `core.tables` (created by migration m0002, not by m0001).

They live on their own MetaData on purpose: m0001 compiles `core.tables.metadata` as it is at run time, so a
table added there would also appear in m0001 on a fresh database and the later migration would collide.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

# Banyu's markup overrides from the admin. A selector left empty ('') matches anything; the most specific
# matching rule wins (product > brand > kind), and an override beats a settings rule of the same specificity.
price_overrides = Table(
    "price_overrides", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("product", String(80), nullable=False, default=""),
    Column("brand", String(200), nullable=False, default=""),
    Column("kind", String(20), nullable=False, default=""),
    Column("percent_bp", Integer, nullable=False),
    Column("fixed_idr", BigInteger, nullable=False, default=0),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("product", "brand", "kind", name="uq_price_overrides_selector"),
)
