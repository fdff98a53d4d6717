"""system_views and the system tables' DESCRIBE on postfork-node through an unmodified
python3-cassandra (Debian's), as Cassandra 5.0 shows them.

system_views.clients: one row per client connection with its address and port, the STARTUP
options and driver, the stage, the user, the protocol version, the request count and the USE
keyspace; a closed connection leaves it. system_virtual_schema and DESCRIBE list Cassandra 5.0's
system_views tables the node has; DESC TABLE of a system table shows the options Cassandra's
system keyspaces give their tables.
Usage: /usr/bin/python3 python_system_views_test.py <path to postfork-node>
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra.cluster import Cluster  # noqa: E402
from cassandra.policies import WhiteListRoundRobinPolicy  # noqa: E402

KS = "sviews"


def connect(**kwargs):
    cluster = Cluster(["127.0.0.1"], port=node_process.SHARED.port,
                      load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]), **kwargs)
    return cluster, cluster.connect()


class OneSessionTest(unittest.TestCase):
    """One session per test class, with the test keyspace created."""
    @classmethod
    def setUpClass(cls):
        cls.cluster, cls.session = connect()
        cls.session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()


class ClientsTest(OneSessionTest):

    def clients(self, session=None):
        rows = (session or self.session).execute("SELECT * FROM system_views.clients")
        return {r.port: r for r in rows}

    def test_metadata_as_cassandra(self):
        rs = self.session.execute("SELECT * FROM system_views.clients")
        names = rs.column_names
        self.assertEqual(names, ["address", "port", "client_options", "connection_stage",
                                 "driver_name", "driver_version", "hostname", "keyspace_name",
                                 "protocol_version", "request_count", "ssl_cipher_suite",
                                 "ssl_enabled", "ssl_protocol", "username"])
        types = [t.typename for t in rs.column_types]
        self.assertEqual(types[:4], ["inet", "int", "map", "varchar"])
        self.assertEqual(types[9], "bigint")
        self.assertEqual(types[11], "boolean")

    def test_one_row_per_connection(self):
        cluster, session = connect()
        try:
            port = list(session.get_pools())[0]._connection._socket.getsockname()[1]
            control = cluster.control_connection._connection._socket.getsockname()[1]
            rows = self.clients(session)
            self.assertIn(port, rows)
            self.assertIn(control, rows)
            row = rows[port]
            self.assertEqual(row.address, "127.0.0.1")
            self.assertEqual(row.hostname, "localhost")
            self.assertEqual(row.connection_stage, "ready")
            self.assertEqual(row.username, "anonymous")
            self.assertEqual(row.driver_name, "DataStax Python Driver")
            self.assertTrue(row.driver_version)
            self.assertEqual(row.client_options["DRIVER_NAME"], "DataStax Python Driver")
            self.assertIn("CQL_VERSION", row.client_options)
            self.assertEqual(row.protocol_version, cluster.protocol_version)
            self.assertFalse(row.ssl_enabled)
            self.assertIsNone(row.ssl_protocol)
            self.assertIsNone(row.ssl_cipher_suite)
            self.assertIsNone(row.keyspace_name)
            # Every request counts, the one reading the table included.
            before = self.clients(session)[port].request_count
            session.execute("SELECT key FROM system.local")
            after = self.clients(session)[port].request_count
            self.assertEqual(after, before + 2)
            session.set_keyspace(KS)
            self.assertEqual(self.clients(session)[port].keyspace_name, KS)
        finally:
            cluster.shutdown()
        # The closed connections leave the table.
        deadline = time.time() + 5
        while time.time() < deadline and (port in self.clients() or control in self.clients()):
            time.sleep(0.05)
        self.assertNotIn(port, self.clients())
        self.assertNotIn(control, self.clients())

    def test_filter_by_key(self):
        port = list(self.session.get_pools())[0]._connection._socket.getsockname()[1]
        rows = list(self.session.execute(
            "SELECT port, connection_stage FROM system_views.clients "
            "WHERE address = '127.0.0.1' AND port = %s", (port,)))
        self.assertEqual([(r.port, r.connection_stage) for r in rows], [(port, "ready")])


class SizeEstimatesTest(OneSessionTest):

    def test_partitions_counted_per_primary_range(self):
        s = self.session
        s.execute("CREATE TABLE %s.est (k int PRIMARY KEY, v int)" % KS)
        insert = s.prepare("INSERT INTO %s.est (k, v) VALUES (?, 1)" % KS)
        for i in range(300):
            s.execute(insert, [i])
        rows = list(s.execute(
            "SELECT range_start, range_end, partitions_count, mean_partition_size "
            "FROM system.size_estimates WHERE keyspace_name = %s AND table_name = 'est'", (KS,)))
        self.assertEqual(sum(r.partitions_count for r in rows), 300)
        tokens = sorted(int(t) for t in s.execute("SELECT tokens FROM system.local").one().tokens)
        # One range between each two tokens, and the wrapping one split at the minimum token.
        minimum = str(-2**63)
        expected = [(str(a), str(b)) for a, b in zip(tokens, tokens[1:])]
        expected += [(str(tokens[-1]), minimum), (minimum, str(tokens[0]))]
        self.assertEqual(sorted((r.range_start, r.range_end) for r in rows), sorted(expected))
        self.assertTrue(all(r.mean_partition_size is None for r in rows))
        # Keyspaces of LocalStrategy have none.
        self.assertEqual(list(s.execute(
            "SELECT * FROM system.size_estimates WHERE keyspace_name = 'system'")), [])


class VirtualSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster, cls.session = connect()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()

    def test_system_views_listed(self):
        tables = {r.table_name: r.comment for r in self.session.execute(
            "SELECT table_name, comment FROM system_virtual_schema.tables "
            "WHERE keyspace_name = 'system_views'")}
        self.assertEqual(tables["clients"], "currently connected clients")
        for name in ("sstable_tasks", "pending_hints", "internode_inbound", "internode_outbound",
                     "snapshots", "streaming"):
            self.assertIn(name, tables)
            self.assertEqual(list(self.session.execute("SELECT * FROM system_views." + name)),
                             [])
        columns = {r.column_name: (r.kind, r.type) for r in self.session.execute(
            "SELECT * FROM system_virtual_schema.columns WHERE keyspace_name = 'system_views' "
            "AND table_name = 'sstable_tasks'")}
        self.assertEqual(columns["task_id"], ("clustering", "timeuuid"))
        self.assertEqual(columns["completion_ratio"], ("regular", "double"))

    def test_describe_virtual_table(self):
        row = self.session.execute("DESC TABLE system_views.clients").one()
        self.assertEqual(
            row.create_statement,
            "/*\nWarning: Table system_views.clients is a virtual table and cannot be recreated "
            "with CQL.\nStructure, for reference:\nVIRTUAL TABLE system_views.clients (\n"
            "    address inet,\n    port int,\n    client_options frozen<map<text, text>>,\n"
            "    connection_stage text,\n    driver_name text,\n    driver_version text,\n"
            "    hostname text,\n    keyspace_name text,\n    protocol_version int,\n"
            "    request_count bigint,\n    ssl_cipher_suite text,\n    ssl_enabled boolean,\n"
            "    ssl_protocol text,\n    username text,\n    PRIMARY KEY (address, port)\n"
            ") WITH CLUSTERING ORDER BY (port ASC)\n"
            "    AND comment = 'currently connected clients';\n*/")

    def test_describe_system_tables_options(self):
        # Cassandra 5.0's per-keyspace parameters: gc_grace_seconds and
        # memtable_flush_period_in_ms.
        expected = {
            "system.local": ("gc_grace_seconds = 0", "memtable_flush_period_in_ms = 3600000"),
            "system_schema.tables": ("gc_grace_seconds = 604800",
                                     "memtable_flush_period_in_ms = 3600000"),
            "system_auth.roles": ("gc_grace_seconds = 7776000",
                                  "memtable_flush_period_in_ms = 0"),
            "system_traces.sessions": ("gc_grace_seconds = 0", "memtable_flush_period_in_ms = 0"),
        }
        for table, options in expected.items():
            text = self.session.execute("DESC TABLE " + table).one().create_statement
            for option in options:
                self.assertIn("    AND %s\n" % option, text, table)


if __name__ == "__main__":
    node_process.main_with_node()
