"""The stack postfork replaces, kept to measure against: a web.py app under uWSGI whose datastore
opens one Cassandra session per worker in a uwsgidecorators.postfork hook, so GET / runs
SELECT col FROM columnfamily on that session. With SEED_CONNECT_PER_REQUEST=1 it is the first
attempt instead: a fresh Cluster and session for every request, shut down after it.

SEED_DRIVER picks the driver; the app's code is the same for all three:
  cassandra           python3-cassandra (the DataStax driver), the original
  postfork            the postfork package with the import changed, nothing else
  postfork-snapshot   the postfork package's fork hooks: the master takes a warm-up snapshot and
                      each worker opens its session from it (postfork.uwsgi under uWSGI; under
                      Gunicorn, the hooks of bench/seed/original/gunicorn.conf.py)

Routes: GET / (the seed's query), GET and PUT /rows/<key> (one row of the same table), /health.
Environment: SEED_CONTACT_POINTS (127.0.0.1), SEED_CQL_PORT (9042), SEED_KEYSPACE (seed),
SEED_CONNECT_PER_REQUEST (0), SEED_DRIVER (cassandra), SEED_WEBPY_DEBUG (unset: web.py's own
default, debug on, whose reloader stats the file of every loaded module on every request; 0 sets
web.config.debug = False, as web.py advises for production). Runs under Debian's python3
(python3-webpy, python3-cassandra; the postfork package for the other drivers).
"""
import json
import os
import sys
import time

import web

if os.environ.get("SEED_WEBPY_DEBUG") == "0":
    web.config.debug = False

DRIVER = os.environ.get("SEED_DRIVER", "cassandra")
if DRIVER == "cassandra":
    from cassandra.cluster import Cluster
else:
    from postfork.cluster import Cluster  # the one line that changes

try:
    from uwsgidecorators import postfork
except ImportError:  # outside uWSGI (Gunicorn, a syntax check): run the hook at import
    def postfork(f):
        f()
        return f

CONTACT_POINTS = os.environ.get("SEED_CONTACT_POINTS", "127.0.0.1").split(",")
CQL_PORT = int(os.environ.get("SEED_CQL_PORT", "9042"))
KEYSPACE = os.environ.get("SEED_KEYSPACE", "seed")
PER_REQUEST = os.environ.get("SEED_CONNECT_PER_REQUEST", "0") == "1"
# Quoted: COLUMNFAMILY is a reserved keyword in CQL (Cassandra and postfork-node alike).
QUERY = 'SELECT col FROM "columnfamily"'
GET_ROW = 'SELECT key, col FROM "columnfamily" WHERE key = %s'
PUT_ROW = 'INSERT INTO "columnfamily" (key, col) VALUES (%s, %s)'


def connect():
    cluster = Cluster(CONTACT_POINTS, port=CQL_PORT)
    return cluster, cluster.connect(KEYSPACE)


class Datastore:
    cluster = None
    session = None


if DRIVER == "postfork-snapshot":
    import postfork as postfork_package

    try:
        import uwsgi  # noqa: F401  (present only inside uWSGI)
        import postfork.uwsgi
        postfork.uwsgi.setup(Cluster(CONTACT_POINTS, port=CQL_PORT), keyspace=KEYSPACE, log=True)
    except ImportError:
        pass  # Gunicorn: its config's on_starting / post_fork hooks do the same

    def session():
        return postfork_package.session()
else:
    @postfork
    def open_datastore():
        if PER_REQUEST:
            return
        started = time.perf_counter()
        Datastore.cluster, Datastore.session = connect()
        print("original: worker %d session ready in %.1f ms"
              % (os.getpid(), (time.perf_counter() - started) * 1000), file=sys.stderr,
              flush=True)

    def session():
        return Datastore.session


class Index:
    def GET(self):
        if PER_REQUEST:
            cluster, s = connect()
            try:
                rows = list(s.execute(QUERY))
            finally:
                cluster.shutdown()
        else:
            rows = session().execute(QUERY)
        web.header("Content-Type", "application/json")
        return json.dumps([row.col for row in rows])


class Rows:
    def GET(self, key):
        row = session().execute(GET_ROW, (key,)).one()
        web.header("Content-Type", "application/json")
        if row is None:
            raise web.notfound(json.dumps({"error": "no row"}))
        return json.dumps({"key": row.key, "col": row.col})

    def PUT(self, key):
        session().execute(PUT_ROW, (key, web.data().decode()))
        web.header("Content-Type", "application/json")
        return json.dumps({"key": key})


class Health:
    def GET(self):
        session().execute('SELECT key FROM "columnfamily" LIMIT 1')
        web.header("Content-Type", "application/json")
        return json.dumps({"status": "ok", "pid": os.getpid()})


app = web.application(("/", "Index", "/rows/(.+)", "Rows", "/health", "Health"), globals())
_wsgi = app.wsgifunc()


def application(environ, start_response):
    """web.py's app with a Content-Length on every response, so that uWSGI's HTTP/1.1 socket
    (--http11-socket) keeps client connections alive."""
    head = []
    body = b"".join(_wsgi(environ, lambda status, headers, exc_info=None: head.extend(
        (status, headers))))
    status, headers = head
    if not any(k.lower() == "content-length" for k, _ in headers):
        headers = list(headers) + [("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]
