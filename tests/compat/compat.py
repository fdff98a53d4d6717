"""Differential execution: one CQL statement against postfork-node and against Apache Cassandra
5.0 through python3-cassandra, each answer reduced to an Outcome, and the two compared aspect
by aspect (result metadata, rows, [applied], warnings, error code and message, paging, tracing).

Values that differ by nature between two servers (time-based and random UUIDs, write times and
timestamps taken during the run, host ids) are compared by type and shape only.
"""
import datetime
import decimal
import fnmatch
import ipaddress
import re
import time
import uuid

from cassandra import ConsistencyLevel
from cassandra.cluster import NoHostAvailable, Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import RetryPolicy, WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement
from cassandra.util import Date, Duration, Time

# Anything in this window (the run +- a day) is "now" by nature: each server takes its own.
RUN_START = time.time()
NEAR_NOW_SECONDS = 86400


class NoRetry(RetryPolicy):
    """Every error reaches the harness as the server sent it (no retry, no next host)."""

    def on_read_timeout(self, *args, **kwargs):
        return self.RETHROW, None

    def on_write_timeout(self, *args, **kwargs):
        return self.RETHROW, None

    def on_unavailable(self, *args, **kwargs):
        return self.RETHROW, None

    def on_request_error(self, *args, **kwargs):
        return self.RETHROW, None


class Target:
    """One server under comparison: a session pinned to one host."""

    def __init__(self, name, host, port):
        self.name, self.host, self.port = name, host, port
        self.keyspace = None
        self.prepared = {}
        self.connect()

    def connect(self):
        host, port = self.host, self.port
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]),
                                   retry_policy=NoRetry(), request_timeout=30,
                                   consistency_level=ConsistencyLevel.ONE)
        self.cluster = Cluster([host], port=port, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                               connect_timeout=20, control_connection_timeout=20,
                               schema_metadata_enabled=False, token_metadata_enabled=False)
        self.session = self.cluster.connect()
        if self.keyspace:
            self.session.set_keyspace(self.keyspace)

    def reconnect(self):
        """A fresh connection after the driver dropped its own (the statement that made it
        drop is reported as a disagreement of its own)."""
        self.prepared = {}
        try:
            self.cluster.shutdown()
        except Exception:
            pass
        self.connect()

    def use(self, keyspace):
        self.prepared.clear()
        self.session.execute("DROP KEYSPACE IF EXISTS %s" % keyspace)
        self.session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                             "'replication_factor': 1}" % keyspace)
        self.session.set_keyspace(keyspace)
        self.keyspace = keyspace

    def close(self):
        self.cluster.shutdown()


class Outcome:
    """What a statement did on one server."""

    def __init__(self):
        self.error = None       # (code, message) or None
        self.columns = None     # [(name, cql type)] or None for a void/schema result
        self.rows = []          # [tuple of values]
        self.pages = []         # rows per page when paged
        self.warnings = []
        self.trace = None       # shape of the trace session, when traced

    def __repr__(self):
        if self.error:
            return "error %04x %r" % self.error
        return "columns=%r rows=%r warnings=%r" % (self.columns, self.rows, self.warnings)


ERROR_RE = re.compile(r'code=([0-9a-fA-F]{4}) \[[^\]]*\] message="(.*?)"(?: info=.*)?>?$', re.S)


def error_of(exc):
    text = str(exc)
    if isinstance(exc.args[0] if exc.args else None, str):
        text = exc.args[0]
    m = ERROR_RE.search(text)
    if m:
        return (int(m.group(1), 16), m.group(2))
    return (-1, "%s: %s" % (type(exc).__name__, text))


CL = {name: getattr(ConsistencyLevel, name) for name in
      ("ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL",
       "LOCAL_SERIAL", "LOCAL_ONE")}


def execute(target, stmt, opts=None, values=None):
    """Runs one statement; `opts` may set page (fetch size), cl, serial, trace, prepare."""
    opts = opts or {}
    out = Outcome()
    try:
        kwargs = {}
        if "cl" in opts:
            kwargs["consistency_level"] = CL[opts["cl"]]
        if "serial" in opts:
            kwargs["serial_consistency_level"] = CL[opts["serial"]]
        if opts.get("prepare"):
            ps = target.prepared.get(stmt)
            if ps is None:
                ps = target.session.prepare(stmt)
                target.prepared[stmt] = ps
            bound = ps.bind(values or [])
            for k, v in kwargs.items():
                setattr(bound, k, v)
            bound.fetch_size = opts.get("page")
            query = bound
        else:
            query = SimpleStatement(stmt, fetch_size=opts.get("page"), **kwargs)
        rs = target.session.execute(query, trace=bool(opts.get("trace")))
        out.warnings = list(rs.response_future.warnings or [])
        if rs.column_names is not None:
            types = rs.column_types or []
            out.columns = [(n, t.cql_parameterized_type()) for n, t in zip(rs.column_names, types)]
        out.pages.append(len(rs.current_rows))
        out.rows.extend(tuple(r) for r in rs.current_rows)
        while rs.has_more_pages and opts.get("page"):
            rs.fetch_next_page()
            out.pages.append(len(rs.current_rows))
            out.rows.extend(tuple(r) for r in rs.current_rows)
            for w in rs.response_future.warnings or []:
                out.warnings.append(w)
        if opts.get("trace"):
            out.trace = trace_shape(rs)
        if INDEX_RE.match(stmt):
            wait_until_indexes_queryable(target)
    except NoHostAvailable as e:
        # the driver closed its connection (e.g. on a frame it could not decode)
        out.error = (-2, "connection dropped by the driver: %s" % (e,))
        target.reconnect()
    except Exception as e:  # every server error is a value to compare
        out.error = error_of(e)
    return out


INDEX_RE = re.compile(r"\s*CREATE\s+(CUSTOM\s+)?INDEX\b", re.I)


def wait_until_indexes_queryable(target, timeout=60.0):
    """Cassandra builds a new storage-attached index in the background and answers
    INDEX_NOT_AVAILABLE until it is queryable, which a loaded machine makes visible: after a
    CREATE INDEX, wait until every SAI index of the keyspace is queryable (a server without
    system_views.sai_column_indexes has nothing to wait for)."""
    if not target.keyspace:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            rows = list(target.session.execute(
                "SELECT index_name, is_queryable FROM system_views.sai_column_indexes "
                "WHERE keyspace_name = %s", (target.keyspace,)))
        except Exception:
            return
        if all(r.is_queryable for r in rows):
            return
        time.sleep(0.1)


def trace_shape(rs):
    try:
        tr = rs.get_query_trace(max_wait_sec=10)
    except Exception as e:
        return ("no trace", type(e).__name__)
    if tr is None:
        return ("no trace",)
    params = tr.parameters or {}
    return (bool(tr.request_type), tr.coordinator is not None, tr.duration is not None,
            len(tr.events) > 0, tuple(sorted(params.keys())), params.get("query"),
            params.get("consistency_level"))


# --- value comparison -----------------------------------------------------------------------

def _near_now_seconds(s):
    return abs(s - time.time()) < NEAR_NOW_SECONDS


# DESCRIBE ... WITH INTERNALS: the table id and the drop times of dropped columns.
DESCRIBE_NATURE = re.compile(r"(?<=WITH ID = )[0-9a-f-]{36}|(?<= USING TIMESTAMP )[0-9]{16}")


def by_nature(a, b):
    """True when a and b are both values each server generates for itself."""
    if isinstance(a, str) and isinstance(b, str) and DESCRIBE_NATURE.search(a):
        return a != b and DESCRIBE_NATURE.sub("?", a) == DESCRIBE_NATURE.sub("?", b)
    if isinstance(a, uuid.UUID) and isinstance(b, uuid.UUID):
        if a.version == 1 and b.version == 1:
            return (_near_now_seconds((a.time - 0x01b21dd213814000) / 1e7)
                    and _near_now_seconds((b.time - 0x01b21dd213814000) / 1e7))
        return a.version == 4 and b.version == 4
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        return (_near_now_seconds(a.replace(tzinfo=datetime.timezone.utc).timestamp())
                and _near_now_seconds(b.replace(tzinfo=datetime.timezone.utc).timestamp()))
    if type(a) is int and type(b) is int:
        # write times and currentTimestamp-like values in micro/milliseconds
        for scale in (1e6, 1e3):
            if _near_now_seconds(a / scale) and _near_now_seconds(b / scale):
                return True
    return False


def canon(v):
    """A comparable, printable form that keeps what CQL distinguishes (decimal scale, set order,
    UDT field names)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return ("float", repr(v))
    if isinstance(v, decimal.Decimal):
        return ("decimal", str(v))
    if isinstance(v, (bytes, bytearray)):
        return ("blob", bytes(v).hex())
    if isinstance(v, uuid.UUID):
        return ("uuid", str(v))
    if isinstance(v, datetime.datetime):
        return ("timestamp", v.isoformat())
    if isinstance(v, (Date, Time, Duration, datetime.date, datetime.time)):
        return (type(v).__name__, str(v))
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return ("inet", str(v))
    if isinstance(v, dict) or hasattr(v, "items"):
        return ("map", tuple((canon(k), canon(x)) for k, x in v.items()))
    if hasattr(v, "_fields"):
        return ("udt", tuple((f, canon(getattr(v, f))) for f in v._fields))
    if isinstance(v, tuple):
        return ("tuple", tuple(canon(x) for x in v))
    if isinstance(v, (list, set, frozenset)) or hasattr(v, "__iter__"):
        return ("seq", tuple(canon(x) for x in v))
    return (type(v).__name__, repr(v))


def values_agree(a, b):
    if by_nature(a, b):
        return True
    if type(a) is not type(b) and not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))):
        if not (hasattr(a, "items") and hasattr(b, "items")):
            return canon(a) == canon(b)
    if hasattr(a, "items") and hasattr(b, "items"):
        ia, ib = list(a.items()), list(b.items())
        return len(ia) == len(ib) and all(
            values_agree(ka, kb) and values_agree(va, vb) for (ka, va), (kb, vb) in zip(ia, ib))
    if hasattr(a, "_fields") and hasattr(b, "_fields"):
        return tuple(a._fields) == tuple(b._fields) and all(
            values_agree(x, y) for x, y in zip(a, b))
    if isinstance(a, (list, tuple, set, frozenset)) or (
            hasattr(a, "__iter__") and not isinstance(a, (str, bytes))):
        la, lb = list(a), list(b)
        return len(la) == len(lb) and all(values_agree(x, y) for x, y in zip(la, lb))
    return canon(a) == canon(b)


# ttl() counts down each second from the moment of each server's own write, and the two writes
# land apart (one second boundary, more on a loaded machine): remaining TTLs agree within this.
TTL_SLACK_SECONDS = 5


def _ttl_agree(a, b):
    return type(a) is int and type(b) is int and abs(a - b) <= TTL_SLACK_SECONDS


def rows_agree(ra, rb, ordered=True, columns=()):
    if len(ra) != len(rb):
        return False
    if not ordered:
        ra = sorted(ra, key=lambda r: repr(canon(tuple(r))))
        rb = sorted(rb, key=lambda r: repr(canon(tuple(r))))
    ttl = [bool(c and str(c[0]).lower().startswith("ttl(")) for c in (columns or ())]

    def agree(i, p, q):
        return values_agree(p, q) or (i < len(ttl) and ttl[i] and _ttl_agree(p, q))

    return all(len(x) == len(y) and all(agree(i, p, q) for i, (p, q) in enumerate(zip(x, y)))
               for x, y in zip(ra, rb))


def _message_key(message):
    """An error message for comparison. Cassandra lists a function's overloads ("known type
    signatures: ...") in the order of a hash set keyed by identity hash codes, which changes
    from one JVM run to the next: the list compares as a set."""
    m = re.search(r"\(known type signatures: (.*)\)$", message or "", re.S)
    if not m:
        return message
    signatures = sorted(re.split(r", (?=system\.)", m.group(1)))
    return message[:m.start(1)] + "|".join(signatures)


def compare(node, cass, ordered=True):
    """The aspects in which two outcomes disagree: [(aspect, node side, cassandra side)]."""
    diffs = []
    if (node.error is None) != (cass.error is None):
        diffs.append(("error", node.error or "no error", cass.error or "no error"))
        return diffs
    if node.error:
        if node.error[0] != cass.error[0]:
            diffs.append(("error-code", "%04x %s" % node.error, "%04x %s" % cass.error))
        elif (_message_key(node.error[1]) != _message_key(cass.error[1]) and
              node.error[0] != -2):
            # (a dropped connection's message names each server's address)
            diffs.append(("error-message", node.error[1], cass.error[1]))
        return diffs
    if node.columns != cass.columns:
        diffs.append(("metadata", node.columns, cass.columns))
    elif not rows_agree(node.rows, cass.rows, ordered, node.columns):
        aspect = "applied" if node.columns and node.columns[0][0] == "[applied]" else "rows"
        diffs.append((aspect, [canon(tuple(r)) for r in node.rows],
                      [canon(tuple(r)) for r in cass.rows]))
    elif node.pages != cass.pages:
        diffs.append(("pages", node.pages, cass.pages))
    if node.warnings != cass.warnings:
        diffs.append(("warnings", node.warnings, cass.warnings))
    if node.trace != cass.trace:
        diffs.append(("trace", node.trace, cass.trace))
    return diffs


# --- allowlist ------------------------------------------------------------------------------

ALLOW_RE = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+/(.*)/\s+(\S.*)$")


class Allowlist:
    """Known disagreements, one a line: SOURCE ASPECT CATEGORY /REGEX/ REASON. SOURCE is a corpus
    file glob or 'random'; ASPECT one of error, error-code, error-message, metadata, rows,
    applied, pages, warnings, trace, or '*'; REGEX is searched in the statement with its
    whitespace collapsed."""

    def __init__(self, path):
        self.entries = []
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                m = ALLOW_RE.match(line)
                if not m:
                    raise ValueError("%s:%d: not SOURCE ASPECT CATEGORY /REGEX/ REASON" % (path, n))
                src, aspect, category, regex, reason = m.groups()
                self.entries.append({"line": n, "source": src, "aspect": aspect,
                                     "category": category, "re": re.compile(regex, re.I),
                                     "reason": reason, "used": 0})

    def match(self, source, aspect, stmt):
        flat = " ".join(stmt.split())
        for e in self.entries:
            if (fnmatch.fnmatch(source, e["source"]) and e["aspect"] in ("*", aspect)
                    and e["re"].search(flat)):
                e["used"] += 1
                return e
        return None

    def categories(self):
        counts = {}
        for e in self.entries:
            counts[e["category"]] = counts.get(e["category"], 0) + 1
        return counts


# --- corpus scripts -------------------------------------------------------------------------

def parse_script(text):
    """Statements of a corpus file with their options. A statement ends with ';' at the end of
    a line. Lines '-- @key value' before it set options for it:
      @page N            fetch size N, all pages read and their sizes compared
      @cl LEVEL          consistency level (@serial LEVEL for the serial one)
      @trace             request tracing, the trace session compared by shape
      @unordered         rows compared as a multiset (order not defined by CQL)
      @prepare [N] [JSON list of values]   prepared, executed N times with the values
    Other '--' lines are comments."""
    stmts, opts, buf, start = [], {}, [], None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not buf and s.startswith("--"):
            m = re.match(r"--\s*@(\w+)\s*(.*)$", s)
            if m:
                key, arg = m.group(1), m.group(2).strip()
                if key == "page":
                    opts["page"] = int(arg)
                elif key in ("cl", "serial"):
                    opts[key] = arg.upper()
                elif key in ("trace", "unordered"):
                    opts[key] = True
                elif key == "prepare":
                    parts = arg.split(None, 1)
                    opts["prepare"] = True
                    opts["times"] = int(parts[0]) if parts else 1
                    opts["values"] = parts[1] if len(parts) > 1 else "[]"
                else:
                    raise ValueError("line %d: unknown option @%s" % (n, key))
            continue
        if not s and not buf:
            continue
        if not buf:
            start = n
        buf.append(line)
        if s.endswith(";"):
            stmt = "\n".join(buf).strip()
            stmts.append((start, stmt[:-1].strip(), opts))
            buf, opts = [], {}
    if buf:
        raise ValueError("line %d: statement without ';'" % start)
    return stmts
