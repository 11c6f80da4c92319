"""The graph store written once in Cypher; kuzu, FalkorDB and Neo4j only say how to run it.

Every value travels as a query parameter (``$name``); the only text ever spliced into a statement is
the fixed scope key names from :data:`~memspan.scope.SCOPE_KEYS`, never a caller's value. The
statements stay inside the Cypher subset the three engines share (``UNWIND``/``MERGE``/``OPTIONAL
MATCH``/``WITH``), so one suite of conformance tests covers all of them.

Layout: ``(:MemspanMemory)-[:MENTIONS]->(:MemspanEntity)-[:RELATES]->(:MemspanEntity)``. Owner ids
are stored on entity and memory nodes; an id the owner scope does not set is stored as ``""``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from ..scope import Scope
from .model import Entity, Relation, owner_of
from .ports import GraphStore, GraphWrite

Params = dict[str, Any]
Statement = tuple[str, Params]

_ENTITY_FIELDS = "e.id, e.name, e.type, e.user_id, e.agent_id, e.run_id, e.created_at, e.deleted_at"
_RELATION_FIELDS = (
    "r.id, a.name, r.relation, b.name, r.valid_from, r.valid_to, r.memory_id, r.created_at, "
    "a.user_id, a.agent_id, a.run_id, a.type, b.type, a.id, b.id, r.deleted_at"
)


def scope_condition(alias: str, scope: Scope) -> tuple[str, Params]:
    """``alias.user_id = $scope_user_id AND ...`` for each id the scope sets."""
    parts = [f"{alias}.{key} = $scope_{key}" for key, _ in scope.items()]
    return " AND ".join(parts) or "true", {f"scope_{key}": value for key, value in scope.items()}


def _owner_id(value: object) -> str | None:
    return str(value) if value else None


def _entity(row: Sequence[Any], mentions: int = 0) -> Entity:
    return Entity(
        id=row[0],
        name=row[1],
        type=row[2],
        user_id=_owner_id(row[3]),
        agent_id=_owner_id(row[4]),
        run_id=_owner_id(row[5]),
        created_at=row[6],
        deleted_at=row[7],
        mentions=int(mentions),
    )


def _relation(row: Sequence[Any]) -> Relation:
    return Relation(
        id=row[0],
        source=row[1],
        relation=row[2],
        target=row[3],
        valid_from=row[4],
        valid_to=row[5],
        memory_id=row[6],
        created_at=row[7],
        user_id=_owner_id(row[8]),
        agent_id=_owner_id(row[9]),
        run_id=_owner_id(row[10]),
        source_type=row[11],
        target_type=row[12],
        source_id=row[13],
        target_id=row[14],
        deleted_at=row[15],
    )


class CypherGraphStore(GraphStore):
    """:class:`GraphStore` for any engine that runs parameterised openCypher."""

    @abstractmethod
    def run(self, query: str, params: Params) -> list[list[Any]]:
        """Run one statement and return its rows as lists of values."""

    @abstractmethod
    def run_transaction(self, statements: Sequence[Statement]) -> None:
        """Run statements in one transaction: all take effect or none."""

    # -- writes ----------------------------------------------------------------------------

    def apply(self, write: GraphWrite) -> None:
        user_id, agent_id, run_id = owner_of(write.owner)
        owner: Params = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "at": write.at}
        statements: list[Statement] = []
        if write.entities:
            rows = [{"id": e.id, "key": e.key, "name": e.name, "type": e.type} for e in write.entities]
            statements.append(
                (
                    "UNWIND $entities AS row MERGE (e:MemspanEntity {id: row.id}) "
                    "ON CREATE SET e.key = row.key, e.name = row.name, e.type = row.type, "
                    "e.user_id = $user_id, e.agent_id = $agent_id, e.run_id = $run_id, e.created_at = $at "
                    "ON MATCH SET e.deleted_at = NULL",
                    {"entities": rows, **owner},
                )
            )
        if write.memories:
            rows = [{"id": m, "created_at": at} for m, at in write.memories]
            statements.append(
                (
                    "UNWIND $memories AS row MERGE (m:MemspanMemory {id: row.id}) "
                    "ON CREATE SET m.user_id = $user_id, m.agent_id = $agent_id, m.run_id = $run_id, "
                    "m.created_at = row.created_at",
                    {"memories": rows, "user_id": user_id, "agent_id": agent_id, "run_id": run_id},
                )
            )
        if write.mentions:
            rows = [{"m": m, "e": e} for m, e in write.mentions]
            statements.append(
                (
                    "UNWIND $mentions AS row MATCH (m:MemspanMemory {id: row.m}), (e:MemspanEntity {id: row.e}) "
                    "MERGE (m)-[:MENTIONS]->(e)",
                    {"mentions": rows},
                )
            )
        if write.ended:
            rows = [{"id": rid, "valid_to": valid_to} for rid, valid_to in write.ended]
            statements.append(
                (
                    "UNWIND $ended AS row MATCH (:MemspanEntity)-[r:RELATES]->(:MemspanEntity) "
                    "WHERE r.id = row.id SET r.valid_to = row.valid_to",
                    {"ended": rows},
                )
            )
        if write.relations:
            relation_rows: list[dict[str, str | None]] = [
                {
                    "id": r.id,
                    "source": r.source_id,
                    "target": r.target_id,
                    "relation": r.relation,
                    "valid_from": r.valid_from,
                    "valid_to": r.valid_to,
                    "memory_id": r.memory_id,
                }
                for r in write.relations
            ]
            statements.append(
                (
                    "UNWIND $relations AS row "
                    "MATCH (a:MemspanEntity {id: row.source}), (b:MemspanEntity {id: row.target}) "
                    "CREATE (a)-[:RELATES {id: row.id, relation: row.relation, valid_from: row.valid_from, "
                    "valid_to: row.valid_to, memory_id: row.memory_id, created_at: $at}]->(b)",
                    {"relations": relation_rows, "at": write.at},
                )
            )
        if statements:
            self.run_transaction(statements)

    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        where_e, params = scope_condition("e", scope)
        where_a, _ = scope_condition("a", scope)
        where_m, _ = scope_condition("m", scope)
        if purge:
            rows = self.run(f"MATCH (e:MemspanEntity) WHERE {where_e} RETURN count(e)", params)
            self.run_transaction(
                [
                    (f"MATCH (e:MemspanEntity) WHERE {where_e} DETACH DELETE e", params),
                    (f"MATCH (m:MemspanMemory) WHERE {where_m} DETACH DELETE m", params),
                ]
            )
            return int(rows[0][0]) if rows else 0
        live = f"MATCH (e:MemspanEntity) WHERE {where_e} AND e.deleted_at IS NULL"
        rows = self.run(f"{live} RETURN count(e)", params)
        self.run_transaction(
            [
                (
                    f"MATCH (a:MemspanEntity)-[r:RELATES]->(:MemspanEntity) WHERE {where_a} "
                    "AND r.deleted_at IS NULL SET r.deleted_at = $at",
                    {**params, "at": at},
                ),
                (f"{live} SET e.deleted_at = $at", {**params, "at": at}),
            ]
        )
        return int(rows[0][0]) if rows else 0

    def reset(self) -> None:
        self.run_transaction(
            [
                ("MATCH (m:MemspanMemory) DETACH DELETE m", {}),
                ("MATCH (e:MemspanEntity) DETACH DELETE e", {}),
            ]
        )

    # -- reads -----------------------------------------------------------------------------

    def find_entities(
        self, scope: Scope, keys: Sequence[str], *, include_deleted: bool = False
    ) -> list[Entity]:
        if not keys:
            return []
        where, params = scope_condition("e", scope)
        if not include_deleted:
            where += " AND e.deleted_at IS NULL"
        rows = self.run(
            f"MATCH (e:MemspanEntity) WHERE e.key IN $keys AND {where} "
            f"OPTIONAL MATCH (m:MemspanMemory)-[:MENTIONS]->(e) WITH e, count(m) AS n "
            f"RETURN {_ENTITY_FIELDS}, n ORDER BY e.id",
            {**params, "keys": list(dict.fromkeys(keys))},
        )
        return [_entity(row, row[8]) for row in rows]

    def entities_of_memories(self, scope: Scope, memory_ids: Sequence[str]) -> dict[str, list[Entity]]:
        if not memory_ids:
            return {}
        where, params = scope_condition("e", scope)
        rows = self.run(
            "MATCH (m:MemspanMemory)-[:MENTIONS]->(e:MemspanEntity) "
            f"WHERE m.id IN $ids AND e.deleted_at IS NULL AND {where} "
            "MATCH (o:MemspanMemory)-[:MENTIONS]->(e) WITH m, e, count(o) AS n "
            f"RETURN m.id, {_ENTITY_FIELDS}, n ORDER BY m.id, e.id",
            {**params, "ids": list(dict.fromkeys(memory_ids))},
        )
        found: dict[str, list[Entity]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(_entity(row[1:], row[9]))
        return found

    def memories_of_entities(
        self, scope: Scope, entity_ids: Sequence[str], limit: int
    ) -> dict[str, list[str]]:
        if not entity_ids:
            return {}
        where, params = scope_condition("e", scope)
        rows = self.run(
            "MATCH (m:MemspanMemory)-[:MENTIONS]->(e:MemspanEntity) "
            f"WHERE e.id IN $ids AND {where} RETURN e.id, m.id ORDER BY m.created_at DESC, m.id",
            {**params, "ids": list(dict.fromkeys(entity_ids))},
        )
        found: dict[str, list[str]] = {}
        for entity, memory in rows:
            bucket = found.setdefault(entity, [])
            if len(bucket) < limit:
                bucket.append(memory)
        return found

    def relations(
        self,
        scope: Scope,
        entity_ids: Sequence[str] | None,
        *,
        include_ended: bool = True,
        include_deleted: bool = False,
        limit: int = 1000,
    ) -> list[Relation]:
        where, params = scope_condition("a", scope)
        conditions = [where]
        if entity_ids is not None:
            if not entity_ids:
                return []
            conditions.append("(a.id IN $ids OR b.id IN $ids)")
            params["ids"] = list(dict.fromkeys(entity_ids))
        if not include_ended:
            conditions.append("r.valid_to IS NULL")
        if not include_deleted:
            conditions.append("r.deleted_at IS NULL")
        rows = self.run(
            f"MATCH (a:MemspanEntity)-[r:RELATES]->(b:MemspanEntity) WHERE {' AND '.join(conditions)} "
            f"RETURN {_RELATION_FIELDS} ORDER BY r.valid_from, r.created_at, r.id LIMIT $limit",
            {**params, "limit": limit},
        )
        return [_relation(row) for row in rows]

    def entities(
        self, scope: Scope, *, limit: int = 1000, offset: int = 0, include_deleted: bool = False
    ) -> list[Entity]:
        where, params = scope_condition("e", scope)
        if not include_deleted:
            where += " AND e.deleted_at IS NULL"
        rows = self.run(
            f"MATCH (e:MemspanEntity) WHERE {where} "
            "OPTIONAL MATCH (m:MemspanMemory)-[:MENTIONS]->(e) WITH e, count(m) AS n "
            f"RETURN {_ENTITY_FIELDS}, n ORDER BY e.key, e.id SKIP $offset LIMIT $limit",
            {**params, "offset": offset, "limit": limit},
        )
        return [_entity(row, row[8]) for row in rows]
