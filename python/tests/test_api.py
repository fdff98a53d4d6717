"""Session API against a real postfork-node: statements, parameters, row factories, batches,
paging, futures, value conversions both ways."""
import datetime
import decimal
import ipaddress
import subprocess
import sys
import threading
import uuid

import pytest

import postfork
from postfork import ConsistencyLevel
from postfork.cluster import Cluster, NoHostAvailable, ResultSet
from postfork.query import (UNSET_VALUE, BatchStatement, BatchType, SimpleStatement,
                            dict_factory, ordered_dict_factory, tuple_factory)
from postfork.util import Date, Duration, OrderedMapSerializedKey, SortedSet, Time


def test_connect_report_and_keyspace(cluster):
    s = cluster.connect("system")
    try:
        report = s.connect_report()
        assert report["from_snapshot"] is False
        assert report["connections_opened"] == 1
        assert s.keyspace == "system"
        assert s.execute("SELECT key FROM local").one().key == "local"
    finally:
        s.shutdown()
    with pytest.raises(postfork.DriverException):
        s.execute("SELECT key FROM local")


def test_simple_parameters_positional_and_named(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS params (k text PRIMARY KEY, v int, b blob)")
    s.execute("INSERT INTO params (k, v, b) VALUES (%s, %s, %s)", ("it's", 7, b"\x00\xff"))
    s.execute("INSERT INTO params (k, v) VALUES (%(k)s, %(v)s)", {"k": "named", "v": -1})
    row = s.execute("SELECT k, v, b FROM params WHERE k = %s", ["it's"]).one()
    assert (row.k, row.v, row.b) == ("it's", 7, b"\x00\xff")
    assert s.execute(SimpleStatement("SELECT v FROM params WHERE k = %s"), ("named",)).one().v == -1


def test_row_factories(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS rf (k int PRIMARY KEY, v text)")
    s.execute("INSERT INTO rf (k, v) VALUES (1, 'one')")
    row = s.execute("SELECT k, v FROM rf WHERE k = 1").one()
    assert row.k == 1 and row.v == "one" and row == (1, "one")  # named tuple by default
    assert type(row)._fields == ("k", "v") and row._asdict() == {"k": 1, "v": "one"}
    assert type(row) is type(s.execute("SELECT k, v FROM rf WHERE k = 1").one())  # one class
    assert s.execute("SELECT k AS \"two words\", v FROM rf").one()._fields == ("two_words", "v")
    s.row_factory = dict_factory
    assert s.execute("SELECT k, v FROM rf WHERE k = 1").one() == {"k": 1, "v": "one"}
    s.row_factory = tuple_factory
    assert s.execute("SELECT k, v FROM rf WHERE k = 1").one() == (1, "one")
    s.row_factory = ordered_dict_factory
    assert list(s.execute("SELECT v, k FROM rf WHERE k = 1").one().items()) == \
        [("v", "one"), ("k", 1)]


def test_lwt_was_applied(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS lwt (k int PRIMARY KEY, v int)")
    s.execute("DELETE FROM lwt WHERE k = 1")
    assert s.execute("INSERT INTO lwt (k, v) VALUES (1, 1) IF NOT EXISTS").was_applied is True
    rs = s.execute("INSERT INTO lwt (k, v) VALUES (1, 2) IF NOT EXISTS")
    assert rs.was_applied is False and rs.one().v == 1


def test_prepared_bind_positional_named_unset(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS prep (k int PRIMARY KEY, a text, b text)")
    ins = s.prepare("INSERT INTO prep (k, a, b) VALUES (?, ?, ?)")
    assert ins.column_names == ["k", "a", "b"]
    s.execute(ins, (1, "a1", "b1"))
    s.execute(ins.bind({"k": 1, "a": "a2"}))  # b unset: not written
    assert tuple(s.execute("SELECT a, b FROM prep WHERE k = 1").one()) == ("a2", "b1")
    s.execute(ins, (1, UNSET_VALUE, None))  # None writes null
    assert tuple(s.execute("SELECT a, b FROM prep WHERE k = 1").one()) == ("a2", None)
    sel = s.prepare("SELECT a FROM prep WHERE k = ?")
    assert s.execute(sel, [1]).one().a == "a2"
    with pytest.raises(TypeError, match="invalid type for column \"k\""):
        s.execute(ins, ("not an int", "a", "b"))
    with pytest.raises(ValueError, match="Too many arguments"):
        s.execute(sel, [1, 2])


def test_batch_statement(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS batched (k int PRIMARY KEY, v text)")
    s.execute("CREATE TABLE IF NOT EXISTS counted (k int PRIMARY KEY, n counter)")
    ins = s.prepare("INSERT INTO batched (k, v) VALUES (?, ?)")
    batch = BatchStatement()
    batch.add(ins, (1, "one"))
    batch.add(ins.bind((2, "two")))
    batch.add("INSERT INTO batched (k, v) VALUES (%s, %s)", (3, "three"))
    batch.add(SimpleStatement("DELETE FROM batched WHERE k = 4"))
    assert len(batch) == 4
    s.execute(batch)
    rows = sorted(s.execute("SELECT k, v FROM batched"))
    assert [tuple(r) for r in rows] == [(1, "one"), (2, "two"), (3, "three")]
    counter = BatchStatement(batch_type=BatchType.COUNTER)
    counter.add("UPDATE counted SET n = n + 2 WHERE k = 1")
    counter.add("UPDATE counted SET n = n + 3 WHERE k = 1")
    s.execute(counter)
    assert s.execute("SELECT n FROM counted WHERE k = 1").one().n >= 5


def test_consistency_levels_are_sent(fresh):
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS cl (k int PRIMARY KEY, v int)")
    for level in (ConsistencyLevel.ONE, ConsistencyLevel.QUORUM, ConsistencyLevel.ALL,
                  ConsistencyLevel.LOCAL_QUORUM, ConsistencyLevel.LOCAL_ONE):
        s.execute(SimpleStatement("INSERT INTO cl (k, v) VALUES (1, %d)" % level,
                                  consistency_level=level))
        assert s.execute(SimpleStatement("SELECT v FROM cl WHERE k = 1",
                                         consistency_level=level)).one().v == level


@pytest.fixture(scope="module")
def paged(session):
    session.execute("CREATE TABLE IF NOT EXISTS paged (p int, c int, PRIMARY KEY (p, c))")
    ins = session.prepare("INSERT INTO paged (p, c) VALUES (0, ?)")
    for f in [session.execute_async(ins, (i,)) for i in range(250)]:
        f.result()
    return session


def test_paging_by_iteration(paged):
    rs = paged.execute(SimpleStatement("SELECT c FROM paged WHERE p = 0", fetch_size=100))
    assert len(rs.current_rows) == 100 and rs.has_more_pages
    assert [r.c for r in rs] == list(range(250))
    assert not rs.has_more_pages


def test_paging_with_default_fetch_size_and_paging_state(paged):
    paged.default_fetch_size = 60
    try:
        rs = paged.execute("SELECT c FROM paged WHERE p = 0")
        assert len(rs.current_rows) == 60
        state = rs.paging_state
        rest = paged.execute("SELECT c FROM paged WHERE p = 0", paging_state=state)
        assert rest.current_rows[0].c == 60
        assert len(list(paged.execute("SELECT c FROM paged WHERE p = 0"))) == 250
        assert len(paged.execute("SELECT c FROM paged WHERE p = 0").all()) == 250
    finally:
        paged.default_fetch_size = 5000


def test_async_paging_with_callbacks(paged):
    # Repeated: the first page may complete before or after the callbacks are added.
    for _ in range(30):
        pages, done = [], threading.Event()
        future = paged.execute_async(SimpleStatement("SELECT c FROM paged WHERE p = 0",
                                                     fetch_size=100))

        def on_page(rows):
            pages.append([r.c for r in rows])
            if future.has_more_pages:
                future.start_fetching_next_page()
            else:
                done.set()

        future.add_callbacks(on_page, lambda e: done.set())
        assert done.wait(20)
        assert [len(p) for p in pages] == [100, 100, 50]
        assert sum(pages, []) == list(range(250))


def test_futures_result_callbacks_errbacks(fresh):
    s = fresh
    futures = [s.execute_async("SELECT release_version FROM system.local") for _ in range(50)]
    assert all(f.result().one().release_version for f in futures)
    got, errors, fired = [], [], threading.Event()
    f = s.execute_async("SELECT key FROM system.local")
    f.add_callback(lambda rows, tag: (got.append((tag, rows[0].key)), fired.set()), "t")
    assert fired.wait(10) and got == [("t", "local")]
    # A callback added after completion runs at once, on this thread.
    f.add_callback(lambda rows: got.append(rows[0].key))
    assert got[-1] == "local"
    fired.clear()
    bad = s.execute_async("SELECT * FROM no_such_table")
    bad.add_errback(lambda e: (errors.append(e), fired.set()))
    assert fired.wait(10) and isinstance(errors[0], postfork.InvalidRequest)
    with pytest.raises(postfork.InvalidRequest):
        bad.result()


def test_result_inside_callback_is_refused_not_deadlocked(fresh):
    s = fresh
    outcome, fired = [], threading.Event()
    inner = s.execute_async("SELECT key FROM system.local")

    def cb(rows):
        try:
            other = s.execute_async("SELECT key FROM system.local")
            other._pending.wait()
            outcome.append("waited")
        except RuntimeError as e:
            outcome.append(str(e))
        fired.set()

    inner.add_callback(cb)
    assert fired.wait(10)
    assert outcome and ("deadlock" in outcome[0] or outcome[0] == "waited")


# ---- value conversions, both ways --------------------------------------------------------

ALL_TYPES = """CREATE TABLE IF NOT EXISTS types (
  k int PRIMARY KEY, a ascii, t text, bi bigint, i int, si smallint, ti tinyint, bo boolean,
  f float, d double, de decimal, vi varint, u uuid, tu timeuuid, ip inet, ts timestamp,
  dt date, tm time, du duration, bl blob, l list<int>, s set<text>, m map<text, int>,
  tup tuple<int, text>, fl frozen<list<frozen<set<int>>>>, ms map<frozen<list<int>>, text>,
  addr frozen<address>)"""

SAMPLE = {
    "a": "ascii only", "t": "unicodé ☃", "bi": -(2 ** 63), "i": 2 ** 31 - 1, "si": -32768,
    "ti": 127, "bo": True, "f": 1.5, "d": -2.25e300,
    "de": decimal.Decimal("-12345678901234567890.0123456789"), "vi": 2 ** 100 + 1,
    "u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tu": uuid.UUID("8d8ac610-566d-11e2-9b9c-080027d5b8a4"), "ip": "192.168.1.10",
    "ts": datetime.datetime(2024, 2, 29, 13, 30, 54, 234000), "dt": datetime.date(2024, 2, 29),
    "tm": datetime.time(13, 30, 54, 123456), "du": Duration(1, 2, 3000000000),
    "bl": b"\x00\x01binary\xff", "l": [3, 1, 2], "s": {"b", "a", "c"}, "m": {"x": 1, "y": 2},
    "tup": (1, "one"), "fl": [{1, 2}, {3}], "ms": {(1, 2): "a", (3,): "b"},
    "addr": {"street": "1 Main St", "zip": 12345},
}


@pytest.fixture(scope="module")
def typed(session):
    session.execute("CREATE TYPE IF NOT EXISTS address (street text, zip int)")
    session.execute(ALL_TYPES)
    return session


def check_sample(row):
    assert row.a == SAMPLE["a"] and row.t == SAMPLE["t"]
    assert row.bi == SAMPLE["bi"] and row.i == SAMPLE["i"] and row.si == SAMPLE["si"]
    assert row.ti == SAMPLE["ti"] and row.bo is True and row.f == 1.5 and row.d == SAMPLE["d"]
    assert isinstance(row.de, decimal.Decimal) and row.de == SAMPLE["de"]
    assert row.vi == SAMPLE["vi"]
    assert isinstance(row.u, uuid.UUID) and row.u == SAMPLE["u"] and row.tu == SAMPLE["tu"]
    assert row.ip == "192.168.1.10"
    assert isinstance(row.ts, datetime.datetime) and row.ts == SAMPLE["ts"]
    assert row.ts.tzinfo is None  # naive UTC, as the DataStax driver returns
    assert isinstance(row.dt, Date) and row.dt.date() == SAMPLE["dt"] and row.dt == SAMPLE["dt"]
    assert isinstance(row.tm, Time) and row.tm.time() == SAMPLE["tm"]
    assert row.du == SAMPLE["du"]
    assert isinstance(row.bl, bytes) and row.bl == SAMPLE["bl"]
    assert row.l == [3, 1, 2]
    assert isinstance(row.s, SortedSet) and list(row.s) == ["a", "b", "c"] and row.s == SAMPLE["s"]
    assert isinstance(row.m, OrderedMapSerializedKey) and row.m == {"x": 1, "y": 2}
    assert row.tup == (1, "one")
    assert row.fl == [SortedSet([1, 2]), SortedSet([3])]
    assert row.ms[[1, 2]] == "a" and row.ms[(3,)] == "b"
    assert row.addr.street == "1 Main St" and row.addr.zip == 12345
    assert type(row.addr).__name__ == "address"


def test_conversions_prepared_both_ways(typed):
    cols = list(SAMPLE)
    ins = typed.prepare("INSERT INTO types (k, %s) VALUES (?, %s)"
                        % (", ".join(cols), ", ".join("?" * len(cols))))
    typed.execute(ins, [1] + [SAMPLE[c] for c in cols])
    check_sample(typed.execute("SELECT * FROM types WHERE k = 1").one())
    sel = typed.prepare("SELECT * FROM types WHERE k = ?")
    row = typed.execute(sel, (1,)).one()
    check_sample(row)
    # What came back goes back in unchanged (Date, Time, SortedSet, OrderedMap, UDT tuples).
    typed.execute(ins, [2] + [getattr(row, c) for c in cols])
    check_sample(typed.execute(sel, (2,)).one())


def test_conversions_simple_statement_literals(typed):
    # Not as literals: a UDT (no literal form for a dict) and tuple map keys (tuple literals).
    cols = [c for c in SAMPLE if c not in ("addr", "ms")]
    typed.execute("INSERT INTO types (k, %s) VALUES (%%s, %s)"
                  % (", ".join(cols), ", ".join(["%s"] * len(cols))),
                  [3] + [SAMPLE[c] for c in cols])
    row = typed.execute("SELECT * FROM types WHERE k = 3").one()
    for c in cols:
        assert getattr(row, c) == SAMPLE[c] or c in ("dt", "tm", "ms"), c
    assert row.dt == SAMPLE["dt"] and row.tm.time() == SAMPLE["tm"]


def test_conversions_other_accepted_inputs(typed):
    ins = typed.prepare("INSERT INTO types (k, ts, dt, tm, ip, de, u) VALUES (?, ?, ?, ?, ?, ?, ?)")
    aware = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    typed.execute(ins, (4, aware, Date(0), Time(1), ipaddress.ip_address("::1"), 5,
                        "12345678-1234-5678-1234-567812345678"))
    row = typed.execute("SELECT ts, dt, tm, ip, de, u FROM types WHERE k = 4").one()
    assert row.ts == datetime.datetime(2024, 1, 1, 10, 0)
    assert row.dt.days_from_epoch == 0 and row.tm.nanosecond_time == 1
    assert row.ip == "::1" and row.de == 5 and row.u == SAMPLE["u"]
    typed.execute(ins, (5, 0, -1, 0, None, None, None))
    row = typed.execute("SELECT ts, dt, ip FROM types WHERE k = 5").one()
    assert row.ts == datetime.datetime(1970, 1, 1) and row.dt.date() == datetime.date(1969, 12, 31)
    assert row.ip is None


def test_conversion_errors_name_the_column(typed):
    ins = typed.prepare("INSERT INTO types (k, tu) VALUES (?, ?)")
    with pytest.raises(TypeError, match="tu.*version 1"):
        typed.execute(ins, (6, uuid.uuid4()))
    ins = typed.prepare("INSERT INTO types (k, ti) VALUES (?, ?)")
    with pytest.raises(TypeError, match="out of range for tinyint"):
        typed.execute(ins, (6, 128))


def test_row_classes_by_column_names_past_the_cache(fresh):
    # Rows of 40 different column sets, then the first again: each result's names and class
    # are its own (the extension keeps the classes of the last 16 sets).
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS rc (k int PRIMARY KEY, v text)")
    s.execute("INSERT INTO rc (k, v) VALUES (1, 'one')")
    first = s.execute("SELECT k AS c0, v FROM rc WHERE k = 1").one()
    for i in range(40):
        row = s.execute("SELECT k AS c%d, v FROM rc WHERE k = 1" % i).one()
        assert type(row)._fields == ("c%d" % i, "v") and row == (1, "one")
        assert getattr(row, "c%d" % i) == 1
        rs = s.execute("SELECT v, k AS c%d FROM rc WHERE k = 1" % i)
        assert rs.column_names == ["v", "c%d" % i] and rs.one() == ("one", 1)
    again = s.execute("SELECT k AS c0, v FROM rc WHERE k = 1").one()
    assert type(again)._fields == type(first)._fields and again == first


def test_text_cells_of_every_length_and_script(fresh):
    # Short ASCII text is copied into str directly, other text goes through the UTF-8 decoder:
    # both give the same values, for lengths around the 1-, 2-, 4- and 8-byte reads.
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS texts (k int PRIMARY KEY, t text, a ascii)")
    ins = s.prepare("INSERT INTO texts (k, t, a) VALUES (?, ?, ?)")
    values = {}
    for n in list(range(0, 20)) + [31, 32, 33, 63, 64, 65, 200]:
        values[n] = ("x" * n, "y" * n)
        values[1000 + n] = ("é" + "x" * n, "z" * n)  # not ASCII: 2 bytes first
        values[2000 + n] = ("x" * n + "€", "w" * n)  # not ASCII: 3 bytes last
    values[3000] = ("\x7f\x00", "\x7f")
    for k, (t, a) in values.items():
        s.execute(ins, (k, t, a))
    got = {r.k: (r.t, r.a) for r in s.execute("SELECT k, t, a FROM texts")}
    assert got == values
    assert all(type(t) is str and type(a) is str for t, a in got.values())


def test_rows_are_plain_named_tuples(fresh):
    # The extension frees rows of its named-tuple classes as tuples (python/src/module.cc):
    # the classes still behave as collections.namedtuple's, subclasses included.
    import gc
    import pickle
    s = fresh
    s.execute("CREATE TABLE IF NOT EXISTS nt (k int PRIMARY KEY, v text)")
    s.execute("INSERT INTO nt (k, v) VALUES (1, 'one')")
    row = s.execute("SELECT k, v FROM nt WHERE k = 1").one()
    cls = type(row)
    assert cls.__bases__ == (tuple,) and cls.__name__ == "Row"
    assert repr(row) == "Row(k=1, v='one')" and row._replace(v="two") == (1, "two")
    assert type(row._replace(v="two")) is cls and cls._make((2, "b")).k == 2
    with pytest.raises(AttributeError):
        row.other = 1
    assert pickle.loads(pickle.dumps(tuple(row))) == row

    class Sub(cls):
        def __del__(self):
            freed.append(self.k)
    freed = []
    sub = Sub(3, "three")
    assert sub.v == "three" and isinstance(sub, cls)
    del sub
    gc.collect()
    assert freed == [3]
    # Subclass instances (with a __dict__) are freed as CPython allocated them.
    subs = [Sub(i, "x") for i in range(1000)]
    for x in subs:
        x.extra = [x]
    del subs, x
    gc.collect()
    assert len(freed) == 1001
    assert [tuple((i, "y")) for i in range(1000)][-1] == (999, "y")
    # Rows come from and go back to CPython's tuple free list, holding their class meanwhile.
    before = sys.getrefcount(cls)
    rows = list(s.execute("SELECT k, v FROM nt"))
    assert sys.getrefcount(cls) == before + len(rows)
    assert all(type(r) is cls and gc.is_tracked(r) for r in rows)
    del rows
    assert sys.getrefcount(cls) == before
    again = tuple(x for x in (1, "one"))  # a tuple of the size the rows gave back
    assert type(again) is tuple and again == (1, "one") and again == row
    rows = [list(s.execute("SELECT k, v FROM nt")) for _ in range(50)]
    cycle = [row]
    cycle.append(cycle)
    del rows, cycle
    gc.collect()
    assert s.execute("SELECT k, v FROM nt WHERE k = 1").one() == (1, "one")


def test_session_defaults_apply_once_changed(fresh, paged):
    # A query string's request options are made once per session and remade when a default
    # changes.
    s = paged
    assert len(s.execute("SELECT c FROM paged WHERE p = 0").current_rows) == 250
    s.default_fetch_size = 100
    try:
        assert len(s.execute("SELECT c FROM paged WHERE p = 0").current_rows) == 100
        assert s.default_fetch_size == 100
    finally:
        s.default_fetch_size = 5000
    assert len(s.execute("SELECT c FROM paged WHERE p = 0").current_rows) == 250
    s.default_consistency_level = ConsistencyLevel.THREE
    try:
        with pytest.raises(NoHostAvailable, match="THREE"):  # Unavailable from the one host
            s.execute("SELECT c FROM paged WHERE p = 0")
    finally:
        s.default_consistency_level = ConsistencyLevel.LOCAL_ONE
    assert s.default_consistency_level == ConsistencyLevel.LOCAL_ONE
    assert len(s.execute("SELECT c FROM paged WHERE p = 0").current_rows) == 250


def test_uuid_and_decimal_modules_load_when_a_value_needs_them(node):
    # Importing the package loads neither module (web.py's debug reloader stats every loaded
    # module per request); values of those types still convert both ways once they are used.
    code = """
import sys
import postfork, postfork.cluster
assert "uuid" not in sys.modules and "decimal" not in sys.modules, "loaded at import"
c = postfork.cluster.Cluster(["127.0.0.1"], port=%d)
s = c.connect()
s.execute("CREATE KEYSPACE IF NOT EXISTS lazy WITH replication = "
          "{'class': 'SimpleStrategy', 'replication_factor': 1}")
s.execute("CREATE TABLE IF NOT EXISTS lazy.t (k int PRIMARY KEY, u uuid, d decimal)")
s.execute("INSERT INTO lazy.t (k, u, d) VALUES (1, 5a1b2c3d-0000-4000-8000-000000000001, 1.25)")
row = s.execute("SELECT u, d FROM lazy.t WHERE k = 1").one()
import decimal, uuid
assert row.u == uuid.UUID("5a1b2c3d-0000-4000-8000-000000000001"), row
assert row.d == decimal.Decimal("1.25"), row
p = s.prepare("INSERT INTO lazy.t (k, u, d) VALUES (?, ?, ?)")
s.execute(p, (2, uuid.UUID(int=7), decimal.Decimal("-3.5")))
s.execute("INSERT INTO lazy.t (k, u, d) VALUES (%%s, %%s, %%s)",
          (3, uuid.UUID(int=8), decimal.Decimal("0.001")))
rows = sorted(s.execute("SELECT k, u, d FROM lazy.t"))
assert rows[1] == (2, uuid.UUID(int=7), decimal.Decimal("-3.5")), rows
assert rows[2] == (3, uuid.UUID(int=8), decimal.Decimal("0.001")), rows
c.shutdown()
print("ok")
""" % node.port
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_result_set_shape(fresh):
    rs = fresh.execute("SELECT key, release_version FROM system.local")
    assert isinstance(rs, ResultSet) and rs.column_names == ["key", "release_version"]
    assert rs.column_types == ["text", "text"]
    assert rs[0].key == "local" and len(rs) == 1 and bool(rs)
    assert not fresh.execute("SELECT key FROM system.local WHERE key = 'nope'")


def test_cluster_options_accepted(node):
    from postfork.auth import PlainTextAuthProvider
    from postfork.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
    c = Cluster(["127.0.0.1"], port=node.port, protocol_version=4,
                load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy("datacenter1")),
                auth_provider=PlainTextAuthProvider("cassandra", "cassandra"),
                executor_threads=2)
    s = c.connect()
    assert s.connect_report()["protocol_version"] == 4
    assert s.execute("SELECT key FROM system.local").one().key == "local"
    c.shutdown()
    with pytest.raises(TypeError, match="no_such_option"):
        Cluster(["127.0.0.1"], no_such_option=1)

