"""Cluster.metadata: read lazily, the same keyspaces, tables and columns as the DataStax driver's
Cluster.metadata reports for the same node, refreshed after a schema change."""
import os

import pytest

from postfork.cluster import Cluster
from postfork.metadata import NetworkTopologyStrategy, SimpleStrategy

TABLE = ("CREATE TABLE IF NOT EXISTS md.events (tenant text, day int, at timestamp, seq int, "
         "note text, tags set<text>, owner text static, attrs frozen<map<text, int>>, "
         "PRIMARY KEY ((tenant, day), at, seq)) WITH CLUSTERING ORDER BY (at DESC, seq ASC) "
         "AND comment = 'metadata test'")


@pytest.fixture(scope="module")
def md_schema(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS md WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1} "
                    "AND durable_writes = false")
    session.execute(TABLE)
    session.execute("CREATE TABLE IF NOT EXISTS md.plain (k int PRIMARY KEY, v text)")
    dc = session.execute("SELECT data_center FROM system.local").one().data_center
    session.execute("CREATE KEYSPACE IF NOT EXISTS md_nts WITH replication = "
                    "{'class': 'NetworkTopologyStrategy', '%s': 1}" % dc)
    return dc


def test_metadata_is_read_on_first_use_only(node, md_schema):
    c = Cluster(["127.0.0.1"], port=node.port)
    assert c.metadata.keyspaces == {}, "no session yet: empty, as the DataStax driver's"
    s = c.connect("md")
    try:
        before = node.system_queries()
        metadata = c.metadata
        assert node.system_queries() == before, "nothing read before use"
        ks = metadata.keyspaces["md"]
        assert node.system_queries() == before + 1, "one query for the keyspaces"
        assert ks.tables["plain"].name == "plain"
        assert node.system_queries() == before + 3, "two for the keyspace's tables and columns"
        assert metadata.keyspaces["md"].tables["events"] is not None
        assert node.system_queries() == before + 3, "kept once read"
    finally:
        c.shutdown()


def test_keyspaces_tables_and_columns(cluster, md_schema):
    ks = cluster.metadata.keyspaces["md"]
    assert ks.name == "md" and ks.durable_writes is False
    assert isinstance(ks.replication_strategy, SimpleStrategy)
    assert ks.replication_strategy.replication_factor == 1
    nts = cluster.metadata.keyspaces["md_nts"].replication_strategy
    assert isinstance(nts, NetworkTopologyStrategy)
    assert nts.dc_replication_factors == {md_schema: 1}
    assert "system_schema" in cluster.metadata.keyspaces

    t = ks.tables["events"]
    assert t.keyspace_name == "md" and t.name == "events"
    assert [c.name for c in t.partition_key] == ["tenant", "day"]
    assert [c.name for c in t.clustering_key] == ["at", "seq"]
    assert [c.name for c in t.primary_key] == ["tenant", "day", "at", "seq"]
    assert list(t.columns) == ["tenant", "day", "at", "seq", "attrs", "note", "owner", "tags"]
    assert t.columns["at"].is_reversed and not t.columns["seq"].is_reversed
    assert t.columns["owner"].is_static and not t.columns["note"].is_static
    assert t.columns["tags"].cql_type == "set<text>"
    assert t.columns["attrs"].cql_type == "frozen<map<text, int>>"
    assert t.columns["day"].table is t
    assert t.options["comment"] == "metadata test"
    assert cluster.metadata.cluster_name
    assert cluster.metadata.partitioner.endswith("Murmur3Partitioner")


def test_schema_change_through_a_session_is_seen(cluster, session, md_schema):
    assert "later" not in cluster.metadata.keyspaces["md"].tables
    session.execute("CREATE TABLE md.later (k int PRIMARY KEY)")
    try:
        assert list(cluster.metadata.keyspaces["md"].tables["later"].columns) == ["k"]
    finally:
        session.execute("DROP TABLE md.later")
    assert "later" not in cluster.metadata.keyspaces["md"].tables


def test_metadata_in_a_worker_after_fork(node, md_schema):
    import postfork
    postfork.warm_up(Cluster(["127.0.0.1"], port=node.port), keyspace="md")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            s = postfork.connect_after_fork()
            t = s.cluster.metadata.keyspaces["md"].tables["events"]
            ok = [c.name for c in t.partition_key] == ["tenant", "day"]
            s.shutdown()
        finally:
            os.write(w, b"1" if ok else b"0")
            os._exit(0)
    os.close(w)
    out = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    assert out == b"1", "the worker read the schema through its session from the snapshot"


def test_same_as_the_datastax_driver(node, md_schema):
    cassandra_cluster = pytest.importorskip("cassandra.cluster")
    theirs = cassandra_cluster.Cluster(["127.0.0.1"], port=node.port, protocol_version=4)
    ours = Cluster(["127.0.0.1"], port=node.port)
    try:
        theirs.connect()
        ours.connect()
        for ks_name in ("md", "md_nts"):
            a, b = ours.metadata.keyspaces[ks_name], theirs.metadata.keyspaces[ks_name]
            assert a.durable_writes == b.durable_writes
            assert a.replication_strategy.name == b.replication_strategy.name
            assert sorted(a.tables) == sorted(b.tables)
            for name, ta in a.tables.items():
                tb = b.tables[name]
                assert list(ta.columns) == list(tb.columns), name
                assert [c.name for c in ta.partition_key] == [c.name for c in tb.partition_key]
                assert [c.name for c in ta.clustering_key] == [c.name for c in tb.clustering_key]
                for col, ca in ta.columns.items():
                    cb = tb.columns[col]
                    assert (ca.cql_type, ca.is_static, ca.is_reversed) == \
                        (cb.cql_type, cb.is_static, cb.is_reversed), (name, col)
        assert ours.metadata.keyspaces["md"].replication_strategy.replication_factor == \
            theirs.metadata.keyspaces["md"].replication_strategy.replication_factor
        assert ours.metadata.cluster_name == theirs.metadata.cluster_name
    finally:
        theirs.shutdown()
        ours.shutdown()
