"""The initial schema, compiled from `core.tables` for the running dialect."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from core.tables import metadata


def statements(dialect: str) -> list[str]:
    d = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()  # type: ignore[no-untyped-call]
    out: list[str] = []
    for table in metadata.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=d)))
        for index in table.indexes:
            out.append(str(CreateIndex(index).compile(dialect=d)))
    return out
