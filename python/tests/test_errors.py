"""Errors as the DataStax driver raises them: names, fields and messages."""
import threading
import time

import pytest

import postfork
from postfork import ConsistencyLevel, WriteType
from postfork._errors import exception_for
from postfork.cluster import Cluster, NoHostAvailable
from postfork.auth import PlainTextAuthProvider
from postfork.query import SimpleStatement
from nodeproc import Node
from servers import free_port


def test_invalid_request_and_syntax(session):
    with pytest.raises(postfork.InvalidRequest) as e:
        session.execute("SELECT * FROM no_such_table")
    assert str(e.value) == ('Error from server: code=2200 [Invalid query] '
                            'message="table no_such_table does not exist"')
    with pytest.raises(postfork.SyntaxException) as e:
        session.execute("SELEKT 1")
    assert "code=2000 [Syntax error in CQL query]" in str(e.value)
    assert isinstance(e.value, postfork.RequestValidationException)


def test_already_exists_fields(session):
    session.execute("CREATE TABLE IF NOT EXISTS dup (k int PRIMARY KEY)")
    with pytest.raises(postfork.AlreadyExists) as e:
        session.execute("CREATE TABLE dup (k int PRIMARY KEY)")
    assert (e.value.keyspace, e.value.table) == ("pytest", "dup")
    assert str(e.value) == "Table 'pytest.dup' already exists"
    with pytest.raises(postfork.AlreadyExists) as e:
        session.execute("CREATE KEYSPACE pytest WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    assert (e.value.keyspace, e.value.table) == ("pytest", None) or e.value.table == ""
    assert str(e.value) == "Keyspace 'pytest' already exists"


def test_no_host_available():
    c = Cluster(["127.0.0.1"], port=free_port(), connect_timeout=1)
    started = time.time()
    with pytest.raises(NoHostAvailable) as e:
        c.connect()
    assert time.time() - started < 5
    assert e.value.errors and "Unable to connect" in str(e.value)


@pytest.fixture(scope="module")
def secure_node():
    n = Node("--authenticator", "Password", "--authorizer", "Cassandra").start()
    yield n
    n.stop()


def test_bad_credentials_and_unauthorized(secure_node):
    bad = Cluster(["127.0.0.1"], port=secure_node.port,
                  auth_provider=PlainTextAuthProvider("cassandra", "wrong"))
    with pytest.raises(NoHostAvailable) as e:
        bad.connect()
    assert any(isinstance(x, postfork.AuthenticationFailed) for x in e.value.errors.values())
    admin = Cluster(["127.0.0.1"], port=secure_node.port,
                    auth_provider=PlainTextAuthProvider("cassandra", "cassandra")).connect()
    admin.execute("CREATE KEYSPACE IF NOT EXISTS sec WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    admin.execute("CREATE TABLE IF NOT EXISTS sec.t (k int PRIMARY KEY)")
    admin.execute("CREATE ROLE IF NOT EXISTS reader WITH PASSWORD = 'pw' AND LOGIN = true")
    reader = Cluster(["127.0.0.1"], port=secure_node.port,
                     auth_provider=PlainTextAuthProvider("reader", "pw")).connect()
    with pytest.raises(postfork.Unauthorized) as e:
        reader.execute("SELECT * FROM sec.t")
    assert "code=2100 [Unauthorized]" in str(e.value)
    reader.shutdown()
    admin.shutdown()


def test_operation_timed_out_and_gil_released(node):
    """A paused node: execute times out client-side with OperationTimedOut, and while it waits
    another Python thread keeps running (the GIL is released)."""
    s = Cluster(["127.0.0.1"], port=node.port).connect()
    try:
        counted, stop = [0], threading.Event()

        def spin():
            while not stop.is_set():
                counted[0] += 1

        t = threading.Thread(target=spin)
        node.pause()
        try:
            t.start()
            started = time.time()
            with pytest.raises(postfork.OperationTimedOut) as e:
                s.execute("SELECT key FROM system.local", timeout=0.5)
            took = time.time() - started
        finally:
            node.resume()
            stop.set()
            t.join()
        assert 0.4 < took < 3
        assert e.value.last_host is None or ":" in e.value.last_host
        assert counted[0] > 10000, "the other thread ran while execute waited"
        assert s.execute("SELECT key FROM system.local").one().key == "local"
    finally:
        s.shutdown()


def test_server_error_mapping_fields():
    """Errors postfork-node never produces (it is one replica): the mapping from the driver's
    decoded ERROR fields to the DataStax exceptions and their fields."""
    base = {"consistency": ConsistencyLevel.QUORUM, "required": 2, "received": 1,
            "write_type": "BATCH_LOG", "data_present": True, "num_failures": 1,
            "keyspace": "", "table": "", "message": "m"}
    e = exception_for(("ServerError", 0x1000, "m", base))
    assert isinstance(e, postfork.Unavailable)
    assert (e.consistency, e.required_replicas, e.alive_replicas) == (4, 2, 1)
    assert "'consistency': 'QUORUM'" in str(e)
    e = exception_for(("ServerError", 0x1200, "m", base))
    assert isinstance(e, postfork.ReadTimeout) and isinstance(e, postfork.Timeout)
    assert (e.required_responses, e.received_responses, e.data_retrieved) == (2, 1, True)
    e = exception_for(("ServerError", 0x1100, "m", base))
    assert isinstance(e, postfork.WriteTimeout) and e.write_type == WriteType.BATCH_LOG
    e = exception_for(("Timeout", -1, "no answer", {}), host="127.0.0.1:9042")
    assert isinstance(e, postfork.OperationTimedOut) and e.last_host == "127.0.0.1:9042"
    e = exception_for(("NoHostAvailable", -1, "down", {}))
    assert isinstance(e, NoHostAvailable) and e.errors
    assert isinstance(exception_for(("ServerError", 0x2100, "m", base)), postfork.Unauthorized)


@pytest.fixture(scope="module")
def rf3(node, session):
    """A keyspace of replication factor 3 on the one node: only ONE-like levels can be met."""
    session.execute("CREATE KEYSPACE IF NOT EXISTS pytest_rf3 WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 3}")
    session.execute("CREATE TABLE IF NOT EXISTS pytest_rf3.t (k int PRIMARY KEY, v int)")
    return session


def unavailable_of(no_host):
    """The Unavailable a NoHostAvailable carries: the node refused the level, so the driver
    tried the next host (the DataStax retry policy's choice) and there was none."""
    causes = [e for e in no_host.errors.values() if not isinstance(e, str)]
    assert len(causes) == 1, no_host.errors
    return causes[0]


@pytest.mark.parametrize("level,required", [(ConsistencyLevel.QUORUM, 2),
                                            (ConsistencyLevel.ALL, 3),
                                            (ConsistencyLevel.TWO, 2)])
def test_unavailable_as_the_datastax_driver_raises_it(node, rf3, level, required):
    """The node answers Unavailable for a level its one replica cannot meet. Both drivers then
    try the next host, find none and raise NoHostAvailable carrying the Unavailable: the package
    with the same message, and an Unavailable of the same fields and text."""
    import cassandra
    import cassandra.cluster
    import cassandra.query
    write = "INSERT INTO pytest_rf3.t (k, v) VALUES (1, 1)"
    with pytest.raises(NoHostAvailable) as ours:
        rf3.execute(SimpleStatement(write, consistency_level=level))
    e = unavailable_of(ours.value)
    assert isinstance(e, postfork.Unavailable)
    assert (e.consistency, e.required_replicas, e.alive_replicas) == (level, required, 1)
    c = cassandra.cluster.Cluster(["127.0.0.1"], port=node.port, protocol_version=4)
    try:
        s = c.connect()
        with pytest.raises(cassandra.cluster.NoHostAvailable) as theirs:
            s.execute(cassandra.query.SimpleStatement(write, consistency_level=level))
    finally:
        c.shutdown()
    t = unavailable_of(theirs.value)
    assert isinstance(t, cassandra.Unavailable)
    assert ours.value.args[0] == theirs.value.args[0]
    assert (e.consistency, e.required_replicas, e.alive_replicas) == \
        (t.consistency, t.required_replicas, t.alive_replicas)
    assert str(e) == str(t)


def test_consistency_level_reaches_the_node(rf3):
    """ONE and LOCAL_ONE are met by the one replica of an RF 3 keyspace, QUORUM is not: the level
    of each statement, prepared statement and session default is the one the node sees."""
    s = rf3
    write = "INSERT INTO pytest_rf3.t (k, v) VALUES (2, 2)"
    s.execute(SimpleStatement(write, consistency_level=ConsistencyLevel.ONE))
    prepared = s.prepare("SELECT v FROM pytest_rf3.t WHERE k = ?")
    assert s.execute(prepared, (2,)).one().v == 2  # the session default, LOCAL_ONE
    prepared.consistency_level = ConsistencyLevel.QUORUM
    with pytest.raises(NoHostAvailable) as e:
        s.execute(prepared, (2,))
    assert unavailable_of(e.value).consistency == ConsistencyLevel.QUORUM
    bound = prepared.bind((2,))
    bound.consistency_level = ConsistencyLevel.ONE
    assert s.execute(bound).one().v == 2
    s.default_consistency_level = ConsistencyLevel.QUORUM
    try:
        with pytest.raises(NoHostAvailable) as e:
            s.execute("SELECT v FROM pytest_rf3.t WHERE k = 2")
        assert unavailable_of(e.value).consistency == ConsistencyLevel.QUORUM
    finally:
        s.default_consistency_level = ConsistencyLevel.LOCAL_ONE
