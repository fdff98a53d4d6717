"""The stack postfork replaces, kept to measure against: a web.py app under uWSGI whose datastore
opens one Cassandra session per worker in a uwsgidecorators.postfork hook, so GET / runs
SELECT col FROM columnfamily on that session. With SEED_CONNECT_PER_REQUEST=1 it is the first
attempt instead: a fresh Cluster and session for every request, shut down after it.

Environment: SEED_CONTACT_POINTS (127.0.0.1), SEED_CQL_PORT (9042), SEED_KEYSPACE (seed),
SEED_CONNECT_PER_REQUEST (0). Runs under Debian's python3 (python3-webpy, python3-cassandra).
"""
import json
import os
import sys
import time

import web
from cassandra.cluster import Cluster

try:
    from uwsgidecorators import postfork
except ImportError:  # outside uWSGI (e.g. a syntax check): run the hook at import
    def postfork(f):
        f()
        return f

CONTACT_POINTS = os.environ.get("SEED_CONTACT_POINTS", "127.0.0.1").split(",")
CQL_PORT = int(os.environ.get("SEED_CQL_PORT", "9042"))
KEYSPACE = os.environ.get("SEED_KEYSPACE", "seed")
PER_REQUEST = os.environ.get("SEED_CONNECT_PER_REQUEST", "0") == "1"
# Quoted: COLUMNFAMILY is a reserved keyword in CQL (Cassandra and postfork-node alike).
QUERY = 'SELECT col FROM "columnfamily"'


def connect():
    cluster = Cluster(CONTACT_POINTS, port=CQL_PORT)
    return cluster, cluster.connect(KEYSPACE)


class Datastore:
    cluster = None
    session = None


@postfork
def open_datastore():
    if PER_REQUEST:
        return
    started = time.perf_counter()
    Datastore.cluster, Datastore.session = connect()
    print("original: worker %d session ready in %.1f ms"
          % (os.getpid(), (time.perf_counter() - started) * 1000), file=sys.stderr, flush=True)


class Index:
    def GET(self):
        if PER_REQUEST:
            cluster, session = connect()
            try:
                rows = list(session.execute(QUERY))
            finally:
                cluster.shutdown()
        else:
            rows = Datastore.session.execute(QUERY)
        web.header("Content-Type", "application/json")
        return json.dumps([row.col for row in rows])


app = web.application(("/", "Index"), globals())
application = app.wsgifunc()
