"""postfork-node's security through an unmodified python3-cassandra (Debian's): the Password
authenticator (PlainTextAuthProvider), the login rate limit, roles, GRANT/REVOKE with the Cassandra
authorizer, roles surviving a restart, and client TLS (with client certificates).

Each test class starts its own node(s), so failed logins of one do not rate-limit another.
Usage: /usr/bin/python3 python_security_test.py <path to postfork-node>
"""
import logging
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from node_process import NodeProcess  # noqa: E402

from cassandra import AuthenticationFailed, InvalidRequest, Unauthorized  # noqa: E402
from cassandra.auth import PlainTextAuthProvider  # noqa: E402
from cassandra.cluster import Cluster, NoHostAvailable  # noqa: E402

BINARY = None
PASSWORD_AUTH = ["--authenticator", "Password", "--authorizer", "Cassandra"]
logging.basicConfig(level=logging.CRITICAL)


def connect(node, user=None, password=None, keyspace=None, ssl_context=None):
    auth = PlainTextAuthProvider(user, password) if user is not None else None
    cluster = Cluster(["127.0.0.1"], port=node.port, auth_provider=auth, ssl_context=ssl_context,
                      connect_timeout=5, control_connection_timeout=5)
    try:
        return cluster, cluster.connect(keyspace)
    except Exception:
        cluster.shutdown()
        raise


def login_error(test, node, user, password, ssl_context=None):
    """Connects expecting a failure; returns the per-host error the driver reports."""
    with test.assertRaises(NoHostAvailable) as cm:
        connect(node, user, password, ssl_context=ssl_context)
    errors = list(cm.exception.errors.values())
    test.assertEqual(len(errors), 1, cm.exception)
    return errors[0]


def refused_start(test, args):
    """Runs the node with `args`, expecting it to refuse to start; returns what it printed."""
    d = tempfile.mkdtemp(prefix="postfork-sec-")
    try:
        r = subprocess.run([BINARY, "--port", "0", "--data-dir", d] + args,
                           capture_output=True, text=True, timeout=30)
        test.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stdout + r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def frame(opcode, body=b"", stream=1):
    return struct.pack(">BBhBi", 4, 0, stream, opcode, len(body)) + body


def string_map(m):
    out = struct.pack(">H", len(m))
    for k, v in m.items():
        out += struct.pack(">H", len(k)) + k.encode() + struct.pack(">H", len(v)) + v.encode()
    return out


def read_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf
    version, flags, stream, opcode, length = struct.unpack(">BBhBi", exact(9))
    return opcode, exact(length)


OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE, OP_OPTIONS, OP_SUPPORTED = 0, 1, 2, 3, 5, 6
OP_QUERY, OP_AUTH_RESPONSE, OP_AUTH_SUCCESS = 7, 0x0F, 0x10


class PasswordAuthenticatorTest(unittest.TestCase):
    """One node with --authenticator Password --authorizer Cassandra."""

    @classmethod
    def setUpClass(cls):
        cls.node = NodeProcess(BINARY, extra_args=PASSWORD_AUTH).start()
        cls.cluster, cls.admin = connect(cls.node, "cassandra", "cassandra")
        cls.admin.execute("CREATE KEYSPACE sec WITH replication = "
                          "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cls.admin.execute("CREATE TABLE sec.t (k int PRIMARY KEY, v text)")
        cls.admin.execute("INSERT INTO sec.t (k, v) VALUES (1, 'one')")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()
        cls.node.cleanup()

    def test_default_superuser_logs_in_and_is_listed(self):
        rows = {r.role: r for r in self.admin.execute("LIST ROLES")}
        self.assertIn("cassandra", rows)
        self.assertTrue(rows["cassandra"].super)
        self.assertTrue(rows["cassandra"].login)
        self.assertEqual(dict(rows["cassandra"].options or {}), {})

    def test_wrong_password_raises_authentication_failed(self):
        err = login_error(self, self.node, "cassandra", "wrong")
        self.assertIsInstance(err, AuthenticationFailed)
        self.assertIn("Provided username cassandra and/or password are incorrect", str(err))
        err = login_error(self, self.node, "nobody", "x")
        self.assertIsInstance(err, AuthenticationFailed)
        self.assertIn("Provided username nobody and/or password are incorrect", str(err))

    def test_no_credentials_is_refused(self):
        err = login_error(self, self.node, None, None)
        self.assertIsInstance(err, AuthenticationFailed)

    def test_only_options_startup_and_auth_response_before_login(self):
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=10) as s:
            s.sendall(frame(OP_OPTIONS))
            self.assertEqual(read_frame(s)[0], OP_SUPPORTED)
            s.sendall(frame(OP_STARTUP, string_map({"CQL_VERSION": "3.0.0"})))
            opcode, body = read_frame(s)
            self.assertEqual(opcode, OP_AUTHENTICATE)
            self.assertIn(b"org.apache.cassandra.auth.PasswordAuthenticator", body)
            query = b"SELECT * FROM system.local"
            s.sendall(frame(OP_QUERY, struct.pack(">i", len(query)) + query + b"\x00\x01\x00"))
            opcode, body = read_frame(s)
            self.assertEqual(opcode, OP_ERROR)
            self.assertEqual(struct.unpack(">i", body[:4])[0], 0x000A)
            self.assertIn(b"expecting SASL_RESPONSE", body)
        # A raw login: AUTH_SUCCESS, then queries run.
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=10) as s:
            s.sendall(frame(OP_STARTUP, string_map({"CQL_VERSION": "3.0.0"})))
            self.assertEqual(read_frame(s)[0], OP_AUTHENTICATE)
            token = b"\x00cassandra\x00cassandra"
            s.sendall(frame(OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token, stream=2))
            opcode, body = read_frame(s)
            self.assertEqual(opcode, OP_AUTH_SUCCESS)
            self.assertEqual(body, struct.pack(">i", -1))  # null token
            s.sendall(frame(OP_QUERY, struct.pack(">i", len(query)) + query + b"\x00\x01\x00"))
            self.assertEqual(read_frame(s)[0], 8)  # RESULT

    def test_pipelined_requests_after_auth_response_wait_for_the_check(self):
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=10) as s:
            s.sendall(frame(OP_STARTUP, string_map({"CQL_VERSION": "3.0.0"})))
            self.assertEqual(read_frame(s)[0], OP_AUTHENTICATE)
            token = b"\x00cassandra\x00cassandra"
            query = b"SELECT key FROM system.local"
            # AUTH_RESPONSE and a QUERY in one write: the query runs after the login succeeded.
            s.sendall(frame(OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token, stream=2) +
                      frame(OP_QUERY, struct.pack(">i", len(query)) + query + b"\x00\x01\x00",
                            stream=3))
            self.assertEqual(read_frame(s)[0], OP_AUTH_SUCCESS)
            self.assertEqual(read_frame(s)[0], 8)

    def test_role_lifecycle(self):
        a = self.admin
        a.execute("CREATE ROLE alice WITH PASSWORD = 'a1' AND LOGIN = true AND SUPERUSER = false")
        with self.assertRaises(InvalidRequest) as cm:
            a.execute("CREATE ROLE alice WITH PASSWORD = 'x' AND LOGIN = true")
        self.assertIn("alice already exists", str(cm.exception))
        a.execute("CREATE ROLE IF NOT EXISTS alice WITH PASSWORD = 'ignored'")
        c, s = connect(self.node, "alice", "a1")
        self.assertEqual(s.execute("SELECT key FROM system.local").one().key, "local")
        c.shutdown()

        a.execute("ALTER ROLE alice WITH PASSWORD = 'a2'")
        self.assertIsInstance(login_error(self, self.node, "alice", "a1"), AuthenticationFailed)
        c, s = connect(self.node, "alice", "a2")
        c.shutdown()

        rows = {r.role: r for r in a.execute("LIST ROLES")}
        self.assertFalse(rows["alice"].super)
        self.assertTrue(rows["alice"].login)
        a.execute("ALTER ROLE alice WITH LOGIN = false")
        err = login_error(self, self.node, "alice", "a2")
        self.assertIn("alice is not permitted to log in", str(err))

        a.execute("CREATE ROLE group_only")
        rows = {r.role: r for r in a.execute("LIST ROLES")}
        self.assertFalse(rows["group_only"].login)

        a.execute("DROP ROLE alice")
        a.execute("DROP ROLE group_only")
        self.assertNotIn("alice", [r.role for r in a.execute("LIST ROLES")])
        with self.assertRaises(InvalidRequest) as cm:
            a.execute("DROP ROLE alice")
        self.assertIn("alice doesn't exist", str(cm.exception))
        a.execute("DROP ROLE IF EXISTS alice")
        with self.assertRaises(InvalidRequest) as cm:
            a.execute("DROP ROLE cassandra")
        self.assertIn("Cannot DROP primary role for current login", str(cm.exception))

    def test_create_user_compatibility_forms(self):
        a = self.admin
        a.execute("CREATE USER dave WITH PASSWORD 'd1' NOSUPERUSER")
        users = {r.name: r for r in a.execute("LIST USERS")}
        self.assertFalse(users["dave"].super)
        c, s = connect(self.node, "dave", "d1")
        c.shutdown()
        a.execute("DROP USER dave")
        self.assertIsInstance(login_error(self, self.node, "dave", "d1"), AuthenticationFailed)

    def test_only_superusers_manage_roles(self):
        a = self.admin
        a.execute("CREATE ROLE erin WITH PASSWORD = 'e1' AND LOGIN = true")
        c, s = connect(self.node, "erin", "e1")
        try:
            with self.assertRaises(Unauthorized) as cm:
                s.execute("CREATE ROLE mallory WITH PASSWORD = 'm' AND LOGIN = true")
            self.assertIn("User erin has no CREATE permission on <all roles>", str(cm.exception))
            with self.assertRaises(Unauthorized):
                s.execute("ALTER ROLE erin WITH SUPERUSER = true")
            with self.assertRaises(Unauthorized):
                s.execute("DROP ROLE cassandra")
            # A role may change its own password.
            s.execute("ALTER ROLE erin WITH PASSWORD = 'e2'")
            self.assertEqual([r.role for r in s.execute("LIST ROLES")], ["erin"])
        finally:
            c.shutdown()
        c, s = connect(self.node, "erin", "e2")
        c.shutdown()
        a.execute("DROP ROLE erin")

    def test_grant_and_revoke_decide_what_a_role_may_do(self):
        a = self.admin
        a.execute("CREATE ROLE bob WITH PASSWORD = 'b1' AND LOGIN = true")
        c, s = connect(self.node, "bob", "b1")
        try:
            # Drivers read the system tables at connect: allowed without grants.
            self.assertEqual(s.execute("SELECT key FROM system.local").one().key, "local")
            with self.assertRaises(Unauthorized) as cm:
                s.execute("SELECT * FROM sec.t")
            self.assertIn("User bob has no SELECT permission on <table sec.t> or any of its parents",
                          str(cm.exception))

            a.execute("GRANT SELECT ON TABLE sec.t TO bob")
            self.assertEqual(s.execute("SELECT v FROM sec.t WHERE k = 1").one().v, "one")
            with self.assertRaises(Unauthorized) as cm:
                s.execute("INSERT INTO sec.t (k, v) VALUES (2, 'two')")
            self.assertIn("no MODIFY permission on <table sec.t>", str(cm.exception))
            prepared_insert = None
            a.execute("GRANT MODIFY ON KEYSPACE sec TO bob")
            s.execute("INSERT INTO sec.t (k, v) VALUES (2, 'two')")
            prepared_insert = s.prepare("INSERT INTO sec.t (k, v) VALUES (?, ?)")
            s.execute(prepared_insert, (3, "three"))
            with self.assertRaises(Unauthorized):
                s.execute("CREATE TABLE sec.u (k int PRIMARY KEY)")
            with self.assertRaises(Unauthorized) as cm:
                s.execute("CREATE TYPE sec.point (x int, y int)")
            self.assertIn("no CREATE permission on <keyspace sec>", str(cm.exception))
            with self.assertRaises(Unauthorized):
                s.execute("GRANT SELECT ON KEYSPACE sec TO bob")

            perms = [(r.role, r.resource, r.permission)
                     for r in a.execute("LIST ALL PERMISSIONS OF bob")]
            self.assertEqual(perms, [("bob", "<keyspace sec>", "MODIFY"),
                                     ("bob", "<table sec.t>", "SELECT")])
            on_table = [(r.resource, r.permission)
                        for r in a.execute("LIST ALL PERMISSIONS ON sec.t OF bob")]
            self.assertEqual(on_table, [("<keyspace sec>", "MODIFY"), ("<table sec.t>", "SELECT")])
            own = [r.permission for r in s.execute("LIST ALL PERMISSIONS OF bob")]
            self.assertEqual(sorted(own), ["MODIFY", "SELECT"])
            with self.assertRaises(Unauthorized):
                s.execute("LIST ALL PERMISSIONS")

            a.execute("REVOKE SELECT ON sec.t FROM bob")
            with self.assertRaises(Unauthorized):
                s.execute("SELECT * FROM sec.t")
            a.execute("REVOKE MODIFY ON KEYSPACE sec FROM bob")
            with self.assertRaises(Unauthorized):
                s.execute(prepared_insert, (4, "four"))

            a.execute("GRANT ALL PERMISSIONS ON ALL KEYSPACES TO bob")
            self.assertEqual(len(list(s.execute("SELECT * FROM sec.t"))), 3)
            s.execute("CREATE TABLE sec.bobs (k int PRIMARY KEY)")
            s.execute("CREATE TYPE sec.bobs_point (x int, y int)")
            s.execute("DROP TYPE sec.bobs_point")
            a.execute("REVOKE ALL ON ALL KEYSPACES FROM bob")
            with self.assertRaises(Unauthorized):
                s.execute("DROP TABLE sec.bobs")
        finally:
            c.shutdown()
        with self.assertRaises(InvalidRequest) as cm:
            a.execute("GRANT SELECT ON KEYSPACE nope TO bob")
        self.assertIn("Resource <keyspace nope> doesn't exist", str(cm.exception))
        with self.assertRaises(InvalidRequest) as cm:
            a.execute("GRANT SELECT ON KEYSPACE sec TO nobody")
        self.assertIn("Role nobody doesn't exist", str(cm.exception))
        a.execute("DROP ROLE bob")

    def test_grants_go_with_a_dropped_table(self):
        a = self.admin
        a.execute("CREATE ROLE gina WITH PASSWORD = 'g1' AND LOGIN = true")
        a.execute("CREATE TABLE sec.dropped (k int PRIMARY KEY)")
        a.execute("GRANT SELECT ON sec.dropped TO gina")
        a.execute("DROP TABLE sec.dropped")
        a.execute("CREATE TABLE sec.dropped (k int PRIMARY KEY)")
        self.assertEqual(list(a.execute("LIST ALL PERMISSIONS OF gina")), [])
        c, s = connect(self.node, "gina", "g1")
        try:
            with self.assertRaises(Unauthorized):
                s.execute("SELECT * FROM sec.dropped")
        finally:
            c.shutdown()
        a.execute("DROP ROLE gina")

    def test_system_auth_is_stored_readable_by_superusers_and_not_writable(self):
        a = self.admin
        row = a.execute("SELECT role, can_login, is_superuser, salted_hash FROM system_auth.roles "
                        "WHERE role = 'cassandra'").one()
        self.assertTrue(row.can_login and row.is_superuser)
        self.assertTrue(row.salted_hash.startswith("$2b$10$"), row.salted_hash)
        with self.assertRaises(Unauthorized):
            a.execute("INSERT INTO system_auth.roles (role, can_login) VALUES ('x', true)")
        a.execute("CREATE ROLE frank WITH PASSWORD = 'f1' AND LOGIN = true")
        c, s = connect(self.node, "frank", "f1")
        try:
            with self.assertRaises(Unauthorized):
                s.execute("SELECT * FROM system_auth.roles")
        finally:
            c.shutdown()
        a.execute("DROP ROLE frank")


class LoginRateLimitTest(unittest.TestCase):
    def test_repeated_failures_are_refused_for_a_short_backoff(self):
        with NodeProcess(BINARY, extra_args=["--authenticator", "Password"]) as node:
            # A session opened before the failures keeps working throughout.
            cluster, session = connect(node, "cassandra", "cassandra")
            try:
                for _ in range(5):
                    err = login_error(self, node, "cassandra", "wrong")
                    self.assertIn("and/or password are incorrect", str(err))
                # The sixth attempt is refused without checking, even with the right password.
                err = login_error(self, node, "cassandra", "cassandra")
                self.assertIsInstance(err, AuthenticationFailed)
                self.assertIn("Too many failed login attempts", str(err))
                self.assertEqual(session.execute("SELECT key FROM system.local").one().key,
                                 "local")
                time.sleep(2.3)  # one attempt is allowed again every 2 s
                c, s = connect(node, "cassandra", "cassandra")
                c.shutdown()
            finally:
                cluster.shutdown()


class RestartTest(unittest.TestCase):
    def test_roles_and_grants_survive_a_restart_and_the_default_is_made_once(self):
        with NodeProcess(BINARY, extra_args=PASSWORD_AUTH) as node:
            c, a = connect(node, "cassandra", "cassandra")
            a.execute("CREATE ROLE root WITH PASSWORD = 'r00t' AND LOGIN = true "
                      "AND SUPERUSER = true")
            a.execute("CREATE ROLE carol WITH PASSWORD = 'c1' AND LOGIN = true")
            a.execute("CREATE KEYSPACE k WITH replication = "
                      "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            a.execute("CREATE TABLE k.t (k int PRIMARY KEY)")
            a.execute("GRANT SELECT ON KEYSPACE k TO carol")
            c.shutdown()
            c, r = connect(node, "root", "r00t")
            r.execute("DROP ROLE cassandra")
            c.shutdown()

            node.restart()

            c, s = connect(node, "carol", "c1")
            self.assertEqual(list(s.execute("SELECT * FROM k.t")), [])
            with self.assertRaises(Unauthorized):
                s.execute("INSERT INTO k.t (k) VALUES (1)")
            c.shutdown()
            c, r = connect(node, "root", "r00t")
            self.assertEqual(sorted(x.role for x in r.execute("LIST ROLES")), ["carol", "root"])
            c.shutdown()
            self.assertIsInstance(login_error(self, node, "cassandra", "cassandra"),
                                  AuthenticationFailed)


class AllowAllTest(unittest.TestCase):
    def test_roles_without_authentication_and_grants_need_the_cassandra_authorizer(self):
        with NodeProcess(BINARY) as node:
            c, s = connect(node)
            try:
                s.execute("CREATE ROLE anyone_may WITH LOGIN = true")
                self.assertIn("anyone_may", [r.role for r in s.execute("LIST ROLES")])
                with self.assertRaises(InvalidRequest) as cm:
                    s.execute("GRANT SELECT ON ALL KEYSPACES TO anyone_may")
                self.assertIn("GRANT operation is not supported by AllowAllAuthorizer",
                              str(cm.exception))
            finally:
                c.shutdown()

    def test_the_cassandra_authorizer_requires_the_password_authenticator(self):
        self.assertIn("requires the Password authenticator",
                      refused_start(self, ["--authorizer", "Cassandra"]))


def self_signed(directory, name):
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=127.0.0.1", "-days", "1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postfork-tls-")
        cls.server_cert, cls.server_key = self_signed(cls.dir, "server")
        cls.client_cert, cls.client_key = self_signed(cls.dir, "client")
        cls.other_cert, cls.other_key = self_signed(cls.dir, "other")  # not trusted by the node

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def context(self, client_cert=None, client_key=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.server_cert)
        ctx.check_hostname = False  # the chain is verified; the driver passes no server name
        ctx.verify_mode = ssl.CERT_REQUIRED
        if client_cert:
            ctx.load_cert_chain(client_cert, client_key)
        return ctx

    def assert_plaintext_is_refused(self, node):
        with self.assertRaises(NoHostAvailable):
            connect(node)
        # On a raw socket: no CQL frame comes back, only (at most) a TLS alert, then EOF.
        with socket.create_connection(("127.0.0.1", node.port), timeout=10) as s:
            s.sendall(frame(OP_OPTIONS))
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertFalse(data.startswith(b"\x84"), data)

    def test_tls_port_serves_tls_clients_and_refuses_plaintext(self):
        args = ["--tls-cert", self.server_cert, "--tls-key", self.server_key]
        with NodeProcess(BINARY, extra_args=args + ["--authenticator", "Password"]) as node:
            cluster, session = connect(node, "cassandra", "cassandra",
                                       ssl_context=self.context())
            try:
                session.execute("CREATE KEYSPACE tls WITH replication = "
                                "{'class': 'SimpleStrategy', 'replication_factor': 1}")
                session.execute("CREATE TABLE tls.t (k int PRIMARY KEY, v blob)")
                big = os.urandom(300 * 1024)  # several TLS records each way
                session.execute("INSERT INTO tls.t (k, v) VALUES (1, %s)", (big,))
                self.assert_plaintext_is_refused(node)
                # The TLS session was not affected by the plaintext client.
                self.assertEqual(session.execute("SELECT v FROM tls.t WHERE k = 1").one().v, big)
            finally:
                cluster.shutdown()

    def test_client_certificates_are_verified_when_required(self):
        args = ["--tls-cert", self.server_cert, "--tls-key", self.server_key,
                "--tls-ca", self.client_cert, "--tls-require-client-cert"]
        with NodeProcess(BINARY, extra_args=args) as node:
            cluster, session = connect(
                node, ssl_context=self.context(self.client_cert, self.client_key))
            try:
                self.assertEqual(session.execute("SELECT key FROM system.local").one().key,
                                 "local")
                with self.assertRaises(NoHostAvailable):
                    connect(node, ssl_context=self.context())  # no client certificate
                with self.assertRaises(NoHostAvailable):
                    connect(node, ssl_context=self.context(self.other_cert, self.other_key))
                self.assert_plaintext_is_refused(node)
                self.assertEqual(session.execute("SELECT key FROM system.local").one().key,
                                 "local")
            finally:
                cluster.shutdown()

    def test_bad_tls_options_stop_the_node_with_a_clear_error(self):
        missing = os.path.join(self.dir, "missing.key")
        self.assertIn("cannot load TLS private key",
                      refused_start(self, ["--tls-cert", self.server_cert, "--tls-key", missing]))
        self.assertIn("needs --tls-ca",
                      refused_start(self, ["--tls-cert", self.server_cert, "--tls-key",
                                           self.server_key, "--tls-require-client-cert"]))


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
