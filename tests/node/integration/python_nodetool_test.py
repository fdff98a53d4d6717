"""postfork-nodetool against a real postfork-node, with python3-cassandra as the client: a
snapshot restored into a new node holds the data as of the snapshot, disablebinary drops CQL
clients and refuses new ones until enablebinary, flushed data survives a restart, and the
command line answers as Cassandra 5.0's nodetool does (output, messages, exit status).

Usage: /usr/bin/python3 python_nodetool_test.py <path to postfork-node> <path to postfork-nodetool>
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra.cluster import Cluster, NoHostAvailable  # noqa: E402
from cassandra.policies import ConstantReconnectionPolicy  # noqa: E402

NODE = None  # the postfork-node binary
NODETOOL = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nodetool(node, *args):
    """Runs postfork-nodetool against `node`'s admin port; returns the CompletedProcess."""
    return subprocess.run([NODETOOL, "-h", "127.0.0.1", "-p", str(node.admin_port), *args],
                          capture_output=True, text=True, timeout=120)


def start_node(data_dir=None):
    """A started node with an admin port of its own; cleanup() it."""
    return node_process.NodeProcess(NODE, data_dir=data_dir,
                                    extra_args=["--admin-port", str(free_port())]).start()


def connect(node, **kwargs):
    cluster = Cluster(["127.0.0.1"], port=node.port, **kwargs)
    return cluster, cluster.connect()


class NodetoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = start_node()
        cls.cluster, cls.session = connect(
            cls.node, reconnection_policy=ConstantReconnectionPolicy(0.2, max_attempts=None))
        cls.session.execute("CREATE KEYSPACE IF NOT EXISTS nt WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.session.execute("CREATE TABLE IF NOT EXISTS nt.kv (k int PRIMARY KEY, v text)")
        cls.session.execute("CREATE TABLE IF NOT EXISTS nt.other (k int PRIMARY KEY)")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()
        cls.node.cleanup()

    def nodetool(self, *args):
        return nodetool(self.node, *args)

    def test_snapshot_restores_into_a_new_node(self):
        s = self.session
        s.execute("CREATE TABLE nt.snap (k int PRIMARY KEY, v text)")
        for i in range(100):
            s.execute("INSERT INTO nt.snap (k, v) VALUES (%s, %s)", (i, "v%d" % i))
        r = self.nodetool("snapshot", "-t", "backup1", "nt")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Requested creating snapshot(s) for [nt] with snapshot name "
                                   "[backup1] and options {skipFlush=false}\n"
                                   "Snapshot directory: backup1\n")
        # Written after the snapshot: not in it.
        s.execute("INSERT INTO nt.snap (k, v) VALUES (1000, 'late')")
        s.execute("DELETE FROM nt.snap WHERE k = 0")

        listing = self.nodetool("listsnapshots")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        lines = listing.stdout.splitlines()
        self.assertEqual(lines[0], "Snapshot Details: ")
        self.assertTrue(lines[1].startswith("Snapshot name Keyspace name Column family name "
                                            "True size Size on disk Creation time "), lines[1])
        rows = [line.split() for line in lines[2:] if line.startswith("backup1 ")]
        self.assertEqual(sorted(r[2] for r in rows), ["kv", "other", "snap"])
        self.assertIn("Total TrueDiskSpaceUsed: ", listing.stdout)

        snapshot_db = os.path.join(self.node.data_dir, "snapshots", "backup1", "db")
        self.assertTrue(glob.glob(os.path.join(snapshot_db, "*.sst")), os.listdir(snapshot_db))
        restored_dir = tempfile.mkdtemp(prefix="postfork-node-restore-")
        try:
            shutil.rmtree(restored_dir)
            shutil.copytree(snapshot_db, restored_dir)
            restored = start_node(restored_dir)
            try:
                cluster, rs = connect(restored)
                got = {row.k: row.v for row in rs.execute("SELECT k, v FROM nt.snap")}
                cluster.shutdown()
            finally:
                restored.cleanup()
            self.assertEqual(got, {i: "v%d" % i for i in range(100)})
        finally:
            shutil.rmtree(restored_dir, ignore_errors=True)

        again = self.nodetool("snapshot", "-t", "backup1", "nt")
        self.assertEqual(again.returncode, 2)
        self.assertEqual(again.stderr, "error: Snapshot backup1 already exists.\n")

        cleared = self.nodetool("clearsnapshot", "-t", "backup1")
        self.assertEqual(cleared.returncode, 0, cleared.stderr)
        self.assertEqual(cleared.stdout,
                         "Requested clearing snapshot(s) for [all keyspaces] with snapshot name "
                         "[backup1]\n")
        self.assertFalse(os.path.exists(os.path.dirname(snapshot_db)))

    def test_table_snapshots_with_ttl_are_listed_per_table(self):
        r = self.nodetool("snapshot", "--tag", "tables1", "-kt", "nt.kv,nt.other", "--ttl", "1h")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0],
                         "Requested creating snapshot(s) for [nt.kv,nt.other] with snapshot name "
                         "[tables1] and options {skipFlush=false, ttl=1h}")
        rows = [line.split() for line in self.nodetool("listsnapshots").stdout.splitlines()
                if line.startswith("tables1 ")]
        self.assertEqual(sorted((r[1], r[2]) for r in rows), [("nt", "kv"), ("nt", "other")])
        created, expires = rows[0][7], rows[0][8]
        from datetime import datetime
        self.assertEqual(datetime.fromisoformat(expires).timestamp() -
                         datetime.fromisoformat(created).timestamp(), 3600)
        no_ttl = self.nodetool("listsnapshots", "-nt")
        self.assertNotIn("tables1", no_ttl.stdout)
        # clearsnapshot of one keyspace takes it off the listing.
        r = self.nodetool("clearsnapshot", "--all", "nt")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("tables1", self.nodetool("listsnapshots").stdout)

    def test_wrong_uses_and_failures(self):
        r = self.nodetool("snapshot", "-t", "x", "nosuch")
        self.assertEqual(r.returncode, 1)
        self.assertIn("postfork-nodetool: Keyspace nosuch does not exist\n", r.stdout)
        r = self.nodetool("snapshot", "-t", "x", "--ttl", "10s", "nt")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ttl for snapshot must be at least 60 seconds", r.stdout)
        r = self.nodetool("flush", "nosuch")
        self.assertEqual((r.returncode, r.stdout.splitlines()[0]),
                         (1, "postfork-nodetool: Keyspace [nosuch] does not exist."))
        r = self.nodetool("flush", "nt", "nosuch")
        self.assertEqual((r.returncode, r.stderr), (2, "error: Unknown keyspace/cf pair (nt.nosuch)\n"))
        r = self.nodetool("clearsnapshot")
        self.assertEqual((r.returncode, r.stdout.splitlines()[0]),
                         (1, "postfork-nodetool: Specify snapshot name or --all"))
        r = subprocess.run([NODETOOL, "-p", str(free_port()), "status"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Failed to connect to '127.0.0.1:", r.stderr)
        self.assertIn("--admin-port", r.stderr)

    def test_disablebinary_drops_clients_until_enablebinary(self):
        s = self.session
        s.execute("INSERT INTO nt.kv (k, v) VALUES (1, 'one')")
        self.assertEqual(self.nodetool("statusbinary").stdout, "running\n")
        r = self.nodetool("disablebinary")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        try:
            self.assertEqual(self.nodetool("statusbinary").stdout, "not running\n")
            with self.assertRaises(NoHostAvailable):
                s.execute("SELECT v FROM nt.kv WHERE k = 1")
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", self.node.port), timeout=5).close()
            with self.assertRaises(NoHostAvailable):
                connect(self.node)
            info = self.nodetool("info").stdout
            self.assertIn("Native Transport active: false\n", info)
        finally:
            r = self.nodetool("enablebinary")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(self.nodetool("statusbinary").stdout, "running\n")
        cluster, fresh = connect(self.node)
        try:
            self.assertEqual(fresh.execute("SELECT v FROM nt.kv WHERE k = 1").one().v, "one")
        finally:
            cluster.shutdown()
        # The old session reconnects by itself.
        deadline = time.time() + 30
        while True:
            try:
                self.assertEqual(s.execute("SELECT v FROM nt.kv WHERE k = 1").one().v, "one")
                break
            except NoHostAvailable:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def test_requests_without_json_are_refused(self):
        # A web page may POST text/plain to a loopback port; the admin interface answers 415
        # and runs nothing.
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.node.admin_port, timeout=30)
        try:
            c.request("POST", "/v1/disablebinary", body="{}",
                      headers={"Content-Type": "text/plain"})
            r = c.getresponse()
            self.assertEqual(r.status, 415)
            self.assertIn(b"application/json", r.read())
        finally:
            c.close()
        self.assertEqual(self.nodetool("statusbinary").stdout, "running\n")

    def test_info_status_version(self):
        info = self.nodetool("info")
        self.assertEqual(info.returncode, 0, info.stderr)
        host_id = str(self.session.execute("SELECT host_id FROM system.local").one().host_id)
        self.assertIn("ID                     : %s\n" % host_id, info.stdout)
        self.assertIn("Token                  : (invoke with -T/--tokens to see all 16 tokens)\n",
                      info.stdout)
        status = self.nodetool("status").stdout.splitlines()
        self.assertEqual(status[0], "Datacenter: datacenter1")
        self.assertTrue(status[5].startswith("UN  127.0.0.1  "), status)
        self.assertIn(host_id, status[5])
        version = self.session.execute("SELECT release_version FROM system.local").one()
        self.assertEqual(self.nodetool("version").stdout,
                         "ReleaseVersion: %s\n" % version.release_version)


class FlushTest(unittest.TestCase):
    def test_flushed_data_is_in_sst_files_and_survives_restart(self):
        node = start_node()
        try:
            cluster, s = connect(node)
            s.execute("CREATE KEYSPACE fl WITH replication = "
                      "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            s.execute("CREATE TABLE fl.t (k int PRIMARY KEY, v text)")
            for i in range(50):
                s.execute("INSERT INTO fl.t (k, v) VALUES (%s, 'x')", (i,))
            cluster.shutdown()
            before = set(glob.glob(os.path.join(node.data_dir, "*.sst")))
            r = nodetool(node, "flush", "fl", "t")
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
            self.assertTrue(set(glob.glob(os.path.join(node.data_dir, "*.sst"))) - before)
            r = nodetool(node, "compact", "fl")
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            # Without the WAL, the rows come from the SST files alone.
            node.stop(signal.SIGKILL)
            for wal in glob.glob(os.path.join(node.data_dir, "*.log")):
                os.remove(wal)
            node.start()
            cluster, s = connect(node)
            self.assertEqual(s.execute("SELECT count(*) FROM fl.t").one()[0], 50)
            cluster.shutdown()

            r = nodetool(node, "drain")
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
            self.assertEqual(nodetool(node, "statusbinary").stdout, "not running\n")
            r = nodetool(node, "enablebinary")
            self.assertEqual((r.returncode, r.stderr),
                             (2, "error: Unable to start native transport because the node was "
                                 "drained.\n"))
        finally:
            node.cleanup()


if __name__ == "__main__":
    import logging
    logging.basicConfig(level=logging.CRITICAL)  # the driver logs every refused reconnection
    NODETOOL = os.path.abspath(sys.argv.pop(2))
    NODE = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
