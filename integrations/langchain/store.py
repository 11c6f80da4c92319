"""A LangGraph ``BaseStore`` whose items are memspan memories.

``create_agent(model, tools, store=MemspanStore(memory))`` gives an agent long-term memory: its
tools and middleware read and write ``runtime.store`` as usual, and ``store.search(namespace,
query=...)`` is memspan's hybrid (semantic + keyword) search.

Every item lives in a memspan scope, named by the store's namespace mapping (``scope=``, see
:mod:`.namespaces`): by default ``("memories", user_id, ...)``, or one fixed tenant scope, or the
run's own ids, or positions of the namespace, or any function of namespace and run config. The
whole namespace is kept with the item, so within a scope prefix search and ``list_namespaces``
answer as LangGraph's own stores do, and one user's namespace can never reach another's items.

Each item is one memory: its text is what memspan embeds (the value's strings, or the fields named
by ``index["fields"]``); with ``index={"embed": ...}`` the caller's own embeddings score searches
instead, one vector per field as LangGraph's stores keep them. The value round-trips whole, and is
flattened into metadata so dotted-path, nested-object and list filters run inside the store. Items
are marked as store items, so the middleware's and retriever's recall leaves them out. TTL
(``ttl=TTLConfig``) is memspan's own expiry (:mod:`memspan.expiry`): an item put with a TTL is a
memory with an ``expires_at``, invisible to every reader of the store the moment it passes (other
frameworks and the REST API included), pushed back on read when the config says
``refresh_on_read``, and deleted by :meth:`MemspanStore.sweep_ttl`, the sweeper thread or
``memspan sweep``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
)
from langgraph.store.base.embed import ensure_embeddings

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call, run_async, run_sync
from memspan.errors import ValidationError

from .._adapter import STORE_ITEM, FacadePort, MemoryLike
from ._store_values import (
    INDEXED,
    KEY,
    NAMESPACE,
    PREFIXES,
    TTL,
    VALUE,
    VECTORS,
    cosine,
    field_texts,
    flattened,
    in_namespace,
    namespace_of,
    ns_json,
    under,
    value_filter,
    value_of,
    value_text,
)
from .namespaces import (
    NamespaceScope,
    by_position,
    check_labels,
    current_config,
    fixed,
    independent_of_namespace,
    matches,
    to_scope,
)

_PAGE = 1000
#: IndexConfig's keys, plus the aliases LangGraph's SQLite/Postgres stores take (text_fields, distance_type)
_INDEX_KEYS = {"dims", "embed", "fields", "text_fields", "distance_type"}


class MemspanStore(BaseStore):
    """LangGraph's long-term store, backed by any memspan memory facade or a path/URL."""

    supports_ttl = True

    def __init__(
        self,
        memory: MemoryLike,
        *,
        scope: NamespaceScope | Scope | Mapping[str, str] | None = None,
        scope_keys: Sequence[Literal["user_id", "agent_id", "run_id"]] | None = None,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        index_fields: Sequence[str] | None = None,
    ):
        """``scope`` states where namespaces live (see :mod:`.namespaces`; a ``Scope`` or
        ``{"user_id": ...}`` is one fixed scope); ``scope_keys=("user_id", "agent_id")`` is short for
        ``by_position(user_id=1, agent_id=2)``. ``index`` is LangGraph's ``IndexConfig``: ``fields``
        choose what is embedded, ``embed`` (with ``dims``) brings your own embeddings. ``ttl`` is
        LangGraph's ``TTLConfig`` (minutes)."""
        if scope is not None and scope_keys is not None:
            raise ValidationError("give scope= or scope_keys=, not both")
        if scope is None:
            keys = tuple(scope_keys or ("user_id",))
            if len(set(keys)) != len(keys):
                raise ValidationError(f"scope_keys must be distinct, got {keys!r}")
            scope = by_position(**{k: i + 1 for i, k in enumerate(keys)})
        elif isinstance(scope, (Scope, Mapping)):
            scope = fixed(to_scope(scope))
        elif not callable(scope):
            raise ValidationError(
                f"scope must be a Scope, a mapping or a callable, got {type(scope).__name__}"
            )
        if index is not None and not isinstance(index, Mapping):
            raise ValidationError("index must be LangGraph's IndexConfig, e.g. {'dims': 1536, 'embed': ...}")
        unknown = set(index or {}) - _INDEX_KEYS
        if unknown:
            raise ValidationError(f"index takes {', '.join(sorted(_INDEX_KEYS))}, not {sorted(unknown)}")
        if (index or {}).get("distance_type", "cosine") != "cosine":
            raise ValidationError(
                "memspan scores by cosine similarity only: drop distance_type or set 'cosine'"
            )
        self.port = FacadePort(memory)
        self.mapping: NamespaceScope = scope
        self.index_config = dict(index) if index else None
        given: dict[str, Any] = dict(index or {})
        fields: Sequence[str] | None = given.get("fields") or given.get("text_fields") or index_fields
        self.index_fields: list[str] | None = list(fields) if fields else None
        self.embeddings: Embeddings | None = (
            ensure_embeddings(index["embed"]) if index and index.get("embed") else None
        )
        self.ttl_config = ttl
        self._sweeper: tuple[threading.Thread, threading.Event] | None = None

    # -- namespaces and scopes -----------------------------------------------------------------

    def scope_of(self, namespace: Sequence[str]) -> Scope:
        """The scope a namespace (or prefix) lives in, by this store's mapping."""
        return to_scope(self.mapping(tuple(namespace), current_config()))

    def _item(self, memory: MemoryItem) -> Item:
        meta = memory.metadata
        return Item(
            value=value_of(meta),
            key=str(meta[KEY]),
            namespace=namespace_of(meta),
            created_at=datetime.fromisoformat(memory.created_at),
            updated_at=datetime.fromisoformat(memory.updated_at),
        )

    def _search_item(self, memory: MemoryItem, score: float | None = None) -> SearchItem:
        item = self._item(memory)
        return SearchItem(item.namespace, item.key, item.value, item.created_at, item.updated_at, score=score)

    @property
    def _refresh_on_read(self) -> bool:
        """Reads push back expiry only when the TTL config asks (as LangGraph's SQLite and Postgres stores)."""
        return bool((self.ttl_config or {}).get("refresh_on_read", False))

    def _find(self, namespace: tuple[str, ...], key: str) -> Flow[MemoryItem | None]:
        found = yield call(
            self.port,
            "get_all",
            **self.scope_of(namespace).as_dict(),
            filters={"AND": [in_namespace(namespace), {KEY: key}]},
            limit=1,
        )
        return found[0] if found else None

    def _all(self, scope: Scope, filters: dict[str, Any] | None) -> Flow[list[MemoryItem]]:
        items: list[MemoryItem] = []
        while True:
            page = yield call(
                self.port, "get_all", **scope.as_dict(), filters=filters, limit=_PAGE, offset=len(items)
            )
            items.extend(page)
            if len(page) < _PAGE:
                return items

    def _refresh(self, memories: Sequence[MemoryItem]) -> Flow[None]:
        """Push back the expiry of items read with ``refresh_ttl`` (by their own TTL)."""
        for memory in memories:
            minutes = memory.metadata.get(TTL)
            if minutes is not None and memory.expires_at is not None:
                yield call(self.port, "update", memory.id, ttl=float(minutes) * 60)

    # -- the four operations -------------------------------------------------------------------

    def _get(self, op: GetOp) -> Flow[Item | None]:
        memory = yield from self._find(op.namespace, op.key)
        if memory is None:
            return None
        if op.refresh_ttl and self._refresh_on_read:
            yield from self._refresh([memory])
        return self._item(memory)

    def _put(self, op: PutOp) -> Flow[None]:
        existing = yield from self._find(op.namespace, op.key)
        if op.value is None:
            if existing is not None:
                yield call(self.port, "delete", existing.id)
            return None
        if not isinstance(op.value, Mapping):
            raise ValidationError(f"a LangGraph item's value is a dict, got {type(op.value).__name__}")
        fields = self.index_fields if op.index is None or op.index is False else list(op.index)
        metadata: dict[str, Any] = {
            STORE_ITEM: True,
            NAMESPACE: ns_json(op.namespace),
            PREFIXES: [ns_json(op.namespace[: i + 1]) for i in range(len(op.namespace))],
            KEY: op.key,
            INDEXED: op.index is not False,
            VALUE: dict(op.value),
            **flattened(op.value),
        }
        if self.embeddings is not None and op.index is not False:
            pairs = field_texts(op.value, fields or ["$"])
            if pairs:
                vectors = yield call(self.embeddings, "embed_documents", [text for _, text in pairs])
                metadata[VECTORS] = {
                    path: [round(float(x), 7) for x in v] for (path, _), v in zip(pairs, vectors, strict=True)
                }
        expiry: dict[str, Any] = {"expires_at": None}  # a put without a TTL lasts (as in LangGraph)
        if op.ttl is not None:
            metadata[TTL] = float(op.ttl)
            expiry = {"ttl": float(op.ttl) * 60}
        text = value_text(op.value, fields)
        if existing is not None:
            yield call(self.port, "update", existing.id, text, metadata=metadata, **expiry)
        else:
            scope = self.scope_of(op.namespace)
            yield call(
                self.port,
                "add",
                text,
                **scope.as_dict(),
                metadata=metadata,
                infer=False,
                ttl=expiry.get("ttl"),
            )
        return None

    def _search_filters(self, op: SearchOp) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if op.namespace_prefix:
            clauses.append(under(op.namespace_prefix))
        if op.filter:
            compiled = value_filter(op.filter)
            if compiled:
                clauses.append(compiled)
        return {"AND": clauses} if clauses else None

    def _search(self, op: SearchOp) -> Flow[list[SearchItem]]:
        scope = self.scope_of(op.namespace_prefix)
        filters = self._search_filters(op)
        if op.limit == 0:
            return []
        if op.query and self.embeddings is not None:
            found = yield from self._scored_by_own_embeddings(op, scope, filters)
        elif op.query:
            hits = yield call(
                self.port,
                "search",
                op.query,
                **scope.as_dict(),
                filters={"AND": [*([filters] if filters else []), {INDEXED: {"ne": False}}]},
                limit=max(1, min(op.offset + op.limit, _PAGE)),
            )
            found = [(m, m.score) for m in list(hits)[op.offset : op.offset + op.limit]]
        else:
            listed = yield call(
                self.port, "get_all", **scope.as_dict(), filters=filters, limit=op.limit, offset=op.offset
            )
            found = [(m, None) for m in listed]
        if op.refresh_ttl and self._refresh_on_read:
            yield from self._refresh([m for m, _ in found])
        return [self._search_item(m, score) for m, score in found]

    def _scored_by_own_embeddings(
        self, op: SearchOp, scope: Scope, filters: dict[str, Any] | None
    ) -> Flow[list[tuple[MemoryItem, float | None]]]:
        """Score every candidate by its best field vector, as LangGraph's stores do; items put
        with ``index=False`` follow, unscored, when the page has room."""
        assert self.embeddings is not None and op.query
        query = yield call(self.embeddings, "embed_query", op.query)
        candidates = yield from self._all(scope, filters)
        scored: list[tuple[MemoryItem, float]] = []
        scoreless: list[MemoryItem] = []
        for memory in candidates:
            vectors = memory.metadata.get(VECTORS) or {}
            if vectors:
                scored.append((memory, max(cosine(query, v) for v in vectors.values())))
            else:
                scoreless.append(memory)
        scored.sort(key=lambda pair: -pair[1])
        page: list[tuple[MemoryItem, float | None]] = list(scored[op.offset : op.offset + op.limit])
        if len(page) < op.limit:
            page.extend((m, None) for m in scoreless[: op.limit - len(page)])
        return page

    def _list_namespaces(self, op: ListNamespacesOp) -> Flow[list[tuple[str, ...]]]:
        conditions = list(op.match_conditions or ())
        prefixes = [c for c in conditions if c.match_type == "prefix"]
        prefix = tuple(prefixes[0].path) if prefixes else ()
        if "*" in prefix:
            prefix = prefix[: prefix.index("*")]
        scope = self.scope_of(() if independent_of_namespace(self.mapping) else prefix)
        filters = under(prefix) if prefix else None
        found: set[tuple[str, ...]] = set()
        for memory in (yield from self._all(scope, filters)):
            namespace = namespace_of(memory.metadata)
            if all(matches(c, namespace) for c in conditions):
                found.add(namespace[: op.max_depth] if op.max_depth is not None else namespace)
        return sorted(found)[op.offset : op.offset + op.limit]

    def _run(self, ops: Sequence[Op]) -> Flow[list[Result]]:
        for op in ops:  # the whole batch is refused before anything runs
            check_labels(op)
        results: list[Result] = []
        for op in ops:
            if isinstance(op, GetOp):
                results.append((yield from self._get(op)))
            elif isinstance(op, SearchOp):
                results.append((yield from self._search(op)))
            elif isinstance(op, PutOp):
                yield from self._put(op)
                results.append(None)
            elif isinstance(op, ListNamespacesOp):
                results.append((yield from self._list_namespaces(op)))
            else:
                raise ValidationError(f"unknown LangGraph store operation {type(op).__name__}")
        return results

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return run_sync(self._run(list(ops)))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await run_async(self._run(list(ops)))

    # -- TTL -------------------------------------------------------------------------------------

    def _sweep(self) -> Flow[int]:
        swept = yield call(self.port, "sweep_expired")
        return int(swept)

    def sweep_ttl(self) -> int:
        """Delete what has expired in the whole memory (it is already invisible), each with a
        DELETE event; returns how many. This is :meth:`memspan.Memory.sweep_expired`: expiry is
        memspan's, so one sweep serves every framework sharing the store. A served memory
        (``RemoteMemory``) sweeps with an admin key only; run ``memspan sweep`` on the server."""
        return run_sync(self._sweep())

    async def asweep_ttl(self) -> int:
        return await run_async(self._sweep())

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> Future[None]:
        """Sweep every ``sweep_interval_minutes`` (default: the TTL config's, else 5) in a thread."""
        interval = sweep_interval_minutes or (self.ttl_config or {}).get("sweep_interval_minutes") or 5
        done: Future[None] = Future()
        if self._sweeper is not None:
            done.set_result(None)
            return done
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(float(interval) * 60):
                run_sync(self._sweep())
            done.set_result(None)

        thread = threading.Thread(target=loop, name="memspan-ttl-sweeper", daemon=True)
        self._sweeper = (thread, stop)
        thread.start()
        return done

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper thread; ``False`` if it did not stop within ``timeout`` seconds."""
        if self._sweeper is None:
            return True
        thread, stop = self._sweeper
        stop.set()
        thread.join(timeout)
        self._sweeper = None
        return not thread.is_alive()
