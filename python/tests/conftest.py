import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodeproc import Node  # noqa: E402


@pytest.fixture(scope="session")
def node():
    n = Node().start()
    yield n
    n.stop()


@pytest.fixture(scope="session")
def cluster(node):
    from postfork.cluster import Cluster
    c = Cluster(["127.0.0.1"], port=node.port)
    yield c
    c.shutdown()


@pytest.fixture(scope="session")
def session(cluster):
    s = cluster.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS pytest WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.set_keyspace("pytest")
    return s


@pytest.fixture
def fresh(session):
    """A session with the default settings restored after the test."""
    yield session
    from postfork.query import named_tuple_factory
    session.row_factory = named_tuple_factory
    session.default_fetch_size = 5000
    session.default_timeout = 10.0
