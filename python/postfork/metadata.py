"""Cluster.metadata: the schema, as the DataStax driver's ``cassandra.metadata`` exposes its
common parts (keyspaces, their replication, tables, columns, partition and clustering keys).

Read lazily, so that connecting stays free of schema queries: nothing is read at connect; the
first use of ``Metadata.keyspaces`` reads ``system_schema.keyspaces`` (one query), and the first
use of a keyspace's ``tables`` reads that keyspace's tables and columns (two queries). The
queries run on a session of the Cluster in this process (``postfork.connect_after_fork()``'s
session for the warm-up Cluster; a session of its own when the Cluster connected here but its
sessions are gone); before the Cluster connects, ``keyspaces`` is empty, as the DataStax
driver's is. A schema change made through a session of the Cluster (a SCHEMA_CHANGE
result) drops what was read, so the next use reads it again; ``Cluster.refresh_schema_metadata()``
does the same for changes made elsewhere.

Not covered: user types, functions, aggregates, views, indexes, triggers, the token map, hosts,
and the CQL export (``as_cql_query``/``export_as_string``).
"""
import os
import threading

from postfork import encoder
from postfork._errors import exception_for

__all__ = ["Metadata", "KeyspaceMetadata", "TableMetadata", "ColumnMetadata", "SimpleStrategy",
           "NetworkTopologyStrategy", "LocalStrategy", "ReplicationStrategy"]


class ReplicationStrategy:
    """A keyspace's replication: ``name`` (the class's short name) and ``options_map`` (the
    replication map without 'class')."""

    name = None

    def __init__(self, options_map):
        self.options_map = dict(options_map)

    @staticmethod
    def create(replication):
        options = dict(replication)
        cls = options.pop("class", "")
        short = cls.rsplit(".", 1)[-1]
        for kind in (SimpleStrategy, NetworkTopologyStrategy, LocalStrategy):
            if kind.name == short:
                return kind(options)
        strategy = ReplicationStrategy(options)
        strategy.name = short
        return strategy

    def __eq__(self, other):
        return (type(self) is type(other) and self.name == other.name
                and self.options_map == other.options_map)

    def __repr__(self):
        return "%s(%r)" % (self.name, self.options_map)


def _factor(text):
    """'3' -> 3; transient replication's '3/1' -> 3 (all replicas)."""
    return int(str(text).split("/", 1)[0])


class SimpleStrategy(ReplicationStrategy):
    name = "SimpleStrategy"

    @property
    def replication_factor(self):
        return _factor(self.options_map.get("replication_factor", 1))


class NetworkTopologyStrategy(ReplicationStrategy):
    name = "NetworkTopologyStrategy"

    @property
    def dc_replication_factors(self):
        """Datacenter name -> replication factor."""
        return {dc: _factor(rf) for dc, rf in self.options_map.items()}


class LocalStrategy(ReplicationStrategy):
    name = "LocalStrategy"


class ColumnMetadata:
    """One column: ``table``, ``name``, ``cql_type`` (the CQL text system_schema stores, e.g.
    'frozen<list<int>>'), ``is_static``, ``is_reversed`` (DESC clustering order)."""

    def __init__(self, table_metadata, column_name, cql_type, is_static=False,
                 is_reversed=False):
        self.table = table_metadata
        self.name = column_name
        self.cql_type = cql_type
        self.is_static = is_static
        self.is_reversed = is_reversed

    def __str__(self):
        return "%s %s" % (self.name, self.cql_type)

    __repr__ = __str__


class TableMetadata:
    """One table: ``keyspace_name``, ``name``, ``columns`` (a dict in CQL order: partition key,
    clustering columns, then the others by name), ``partition_key`` and ``clustering_key``
    (lists of ColumnMetadata), ``primary_key`` (both), ``options`` (the other columns of its
    system_schema.tables row: comment, compaction, gc_grace_seconds...)."""

    def __init__(self, keyspace_name, name, options=None):
        self.keyspace_name = keyspace_name
        self.name = name
        self.options = dict(options or {})
        self.columns = {}
        self.partition_key = []
        self.clustering_key = []

    @property
    def primary_key(self):
        return self.partition_key + self.clustering_key

    def __repr__(self):
        return "TableMetadata(%s.%s)" % (self.keyspace_name, self.name)


class KeyspaceMetadata:
    """One keyspace: ``name``, ``durable_writes``, ``replication_strategy``, and ``tables`` (a
    dict of TableMetadata by name, read on its first use)."""

    def __init__(self, metadata, name, durable_writes, replication):
        self._metadata = metadata
        self.name = name
        self.durable_writes = durable_writes
        self.replication_strategy = ReplicationStrategy.create(replication)
        self._tables = None

    @property
    def tables(self):
        if self._tables is None:
            tables = self._metadata._read_tables(self.name)
            if tables is None:
                return {}
            self._tables = tables
        return self._tables

    def __repr__(self):
        return "KeyspaceMetadata(%s)" % self.name


class Metadata:
    """The schema of the Cluster's cluster, read on first use (see the module's text)."""

    def __init__(self, cluster):
        self._cluster = cluster
        self._lock = threading.Lock()
        self._keyspaces = None
        self._local = None
        self._own_session = None

    @property
    def keyspaces(self):
        """Keyspace name -> KeyspaceMetadata (every keyspace, system ones included)."""
        with self._lock:
            keyspaces = self._keyspaces
        if keyspaces is not None:
            return keyspaces
        rows = self._query("SELECT keyspace_name, durable_writes, replication "
                           "FROM system_schema.keyspaces")
        if rows is None:
            return {}
        keyspaces = {name: KeyspaceMetadata(self, name, bool(durable), replication or {})
                     for name, durable, replication in rows}
        with self._lock:
            if self._keyspaces is None:
                self._keyspaces = keyspaces
            return self._keyspaces

    @property
    def cluster_name(self):
        local = self._read_local()
        return local[0] if local else None

    @property
    def partitioner(self):
        local = self._read_local()
        return local[1] if local else None

    def _read_local(self):
        if self._local is None:
            rows = self._query("SELECT cluster_name, partitioner FROM system.local")
            if rows:
                self._local = rows[0]
        return self._local

    def _invalidate(self):
        """Drops what was read: the next use reads it again."""
        with self._lock:
            self._keyspaces = None

    def _read_tables(self, keyspace):
        """Table name -> TableMetadata of `keyspace`, or None without a session."""
        tables_rows = self._query("SELECT * FROM system_schema.tables WHERE keyspace_name = %s",
                                  (keyspace,), with_names=True)
        if tables_rows is None:
            return None
        names, rows = tables_rows
        tables = {}
        for row in rows:
            fields = dict(zip(names, row))
            name = fields.pop("table_name")
            for key in ("keyspace_name", "id", "flags"):
                fields.pop(key, None)
            tables[name] = TableMetadata(keyspace, name, fields)
        columns = self._query(
            "SELECT table_name, column_name, kind, position, clustering_order, type "
            "FROM system_schema.columns WHERE keyspace_name = %s", (keyspace,))
        if columns is None:
            return None
        keys = {}  # table -> ([(position, column)], [(position, column)], [column])
        for table_name, column_name, kind, position, order, cql_type in columns:
            table = tables.get(table_name)
            if table is None:  # a view's columns (system_schema.views) or a dropped table
                continue
            column = ColumnMetadata(table, column_name, cql_type, is_static=kind == "static",
                                    is_reversed=order == "desc")
            pk, ck, rest = keys.setdefault(table_name, ([], [], []))
            if kind == "partition_key":
                pk.append((position, column))
            elif kind == "clustering":
                ck.append((position, column))
            else:
                rest.append(column)
        for table_name, (pk, ck, rest) in keys.items():
            table = tables[table_name]
            table.partition_key = [c for _, c in sorted(pk, key=lambda x: x[0])]
            table.clustering_key = [c for _, c in sorted(ck, key=lambda x: x[0])]
            ordered = table.partition_key + table.clustering_key + sorted(rest,
                                                                          key=lambda c: c.name)
            table.columns = {c.name: c for c in ordered}
        return tables

    def _session(self):
        """A live session of the Cluster made in this process, or None."""
        import postfork
        pid = os.getpid()
        worker = postfork._worker["session"]
        if worker is not None and worker.cluster is self._cluster and \
                postfork._worker["fork_generation"] == postfork._fork_generation() and \
                not worker.is_shutdown:
            return worker
        for s in list(self._cluster.sessions):
            if not s.is_shutdown and s._core.creator_pid == pid:
                return s
        cluster = self._cluster
        if cluster._connected_pid == pid and not cluster.is_shutdown:
            # Connected here, but its sessions are gone: a session of the metadata's own, as
            # the DataStax driver keeps a control connection (closed by Cluster.shutdown).
            self._own_session = cluster.connect()
            return self._own_session
        return None

    def _query(self, query, parameters=None, with_names=False):
        """Every row of `query` as tuples (every page), or None without a session. Runs on
        the session's connections, whatever its row_factory."""
        session = self._session()
        if session is None:
            return None
        text = encoder.bind_params(query, parameters)
        rows, names, paging_state = [], None, None
        while True:
            options = (None, None, 5000, paging_state, session.default_timeout, True, None)
            pending = session._core.submit(0, text, None, options)
            error = pending.error()
            if error is not None:
                raise exception_for(error, pending.host() or None)
            names = pending.columns()
            rows.extend(tuple(r) for r in pending.rows())
            paging_state = pending.paging_state()
            if paging_state is None:
                break
        return (list(names or ()), rows) if with_names else rows
