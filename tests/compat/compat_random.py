"""Seeded random differential testing: random tables, then interleaved writes, deletes and reads
of random shapes, each statement's answer compared between postfork-node and Cassandra, and
after every write the written partition read back and compared. On a disagreement that the
allowlist does not name, the run stops and prints the seed and the shortest statement sequence
(delta debugging over the statements before it, on fresh keyspaces) that still disagrees.
"""
import random
import time

import compat

# name -> (literal generator for keys/clustering (small domains, so writes collide), for values)
SCALARS = {
    "int": (lambda r: str(r.randint(-2, 6)), lambda r: str(r.choice([0, 1, -1, 42, 2**31 - 1, -2**31]))),
    "bigint": (lambda r: str(r.randint(-2, 6) * 1000000000000), lambda r: str(r.randint(-2**63, 2**63 - 1))),
    "smallint": (lambda r: str(r.randint(-3, 5)), lambda r: str(r.randint(-32768, 32767))),
    "tinyint": (lambda r: str(r.randint(-3, 5)), lambda r: str(r.randint(-128, 127))),
    "varint": (lambda r: str(r.choice([0, 1, -1, 10**20, -10**20])), lambda r: str(r.randint(-10**30, 10**30))),
    "text": (lambda r: _str(r.choice(["", "a", "b", "ab", "Z", "\u00fc", "it's"])),
             lambda r: _str(r.choice(["", "x", "hello world", "\u65e5\u672c", "it's", "a" * 40]))),
    "ascii": (lambda r: _str(r.choice(["", "a", "b", "c"])), lambda r: _str(r.choice(["", "q", "ascii!"]))),
    "boolean": (lambda r: r.choice(["true", "false"]), lambda r: r.choice(["true", "false"])),
    "blob": (lambda r: "0x" + r.choice(["", "00", "01", "ff", "0102"]),
             lambda r: "0x" + "".join(r.choice("0123456789abcdef") for _ in range(2 * r.randint(0, 6)))),
    "date": (lambda r: _str("2024-01-%02d" % r.randint(1, 5)), lambda r: _str(r.choice(["1970-01-01", "2038-01-19", "2024-02-29"]))),
    "time": (lambda r: _str("12:00:%02d" % r.randint(0, 4)), lambda r: _str(r.choice(["00:00:00", "23:59:59.999999999", "08:30:00.5"]))),
    "timestamp": (lambda r: str(1700000000000 + r.randint(0, 4) * 1000),
                  lambda r: _str(r.choice(["2024-01-15 10:00:00+0000", "1970-01-01 00:00:00+0000", "2011-02-03T04:05:00.123Z",
                                           "2024-1-5 3:4:5 America/New_York", "2024-07-01 12:00 PST", "2024-01-01 24:00",
                                           "2024-02-30 10:00Z", "2024-03-31 02:30 Europe/Paris", "2024-01-01 +01:00"]))),
    "uuid": (lambda r: r.choice(["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
                                 "ffffffff-ffff-4fff-bfff-ffffffffffff"]),
             lambda r: r.choice(["11111111-2222-4333-8444-555555555555", "00000000-0000-4000-8000-000000000000"])),
    "timeuuid": (lambda r: r.choice(["d2177dd0-eaa2-11de-a572-001b779c76e3", "e7c9c8a0-0fbf-11d2-8000-000000000001",
                                     "50554d6e-29bb-11e5-b345-feff819cdc9f"]),
                 lambda r: r.choice(["d2177dd0-eaa2-11de-a572-001b779c76e3", "13814000-1dd2-11b2-8080-808080808080"])),
    "inet": (lambda r: _str(r.choice(["127.0.0.1", "10.0.0.1", "::1"])), lambda r: _str(r.choice(["192.168.1.1", "fe80::1", "0.0.0.0"]))),
    "double": (lambda r: r.choice(["0.0", "1.5", "-2.25"]), lambda r: r.choice(["0.0", "-0.0", "3.141592653589793", "1e300", "NaN", "-Infinity", "1.0E-5"])),
    "float": (lambda r: r.choice(["0.0", "1.5", "-2.25"]), lambda r: r.choice(["0.0", "1.5", "-0.25", "Infinity", "NaN", "3.4028235E38"])),
    "decimal": (None, lambda r: r.choice(["0", "1.50", "-0.001", "1e3", "123456789.123456789", "-1E-10"])),
}
NUMERIC = ["tinyint", "smallint", "int", "bigint", "varint", "float", "double", "decimal"]
KEY_SCALARS = [t for t, (k, _) in SCALARS.items() if k is not None and t not in ("double", "float")]
VALUE_TYPES = list(SCALARS) + ["list<int>", "set<text>", "map<text, int>", "frozen<list<int>>",
                               "frozen<set<int>>", "frozen<map<int, text>>", "tuple<int, text>"]
KEY_TYPES = KEY_SCALARS + ["frozen<list<int>>", "tuple<int, text>"]


def _str(s):
    return "'" + s.replace("'", "''") + "'"


# Map literals have distinct keys: with a repeated key Cassandra's choice of value is not stable
# from run to run, so it cannot be compared.
def literal(r, typ, key=False, partition=False):
    """A CQL literal of `typ`: from the small key domain when `key`; never empty when
    `partition` (both servers refuse empty partition keys; empty.cql covers that refusal)."""
    if typ in SCALARS:
        gen = SCALARS[typ][0 if key else 1]
        v = gen(r)
        while partition and v in ("''", "0x"):
            v = gen(r)
        return v
    if typ in ("list<int>", "frozen<list<int>>"):
        n = r.randint(0, 2) if key else r.randint(0, 4)
        return "[" + ", ".join(str(r.randint(-1, 3)) for _ in range(n)) + "]"
    if typ in ("set<text>",):
        return "{" + ", ".join(_str(r.choice("abcd")) for _ in range(r.randint(0, 3))) + "}"
    if typ == "frozen<set<int>>":
        return "{" + ", ".join(str(r.randint(0, 4)) for _ in range(r.randint(0, 3))) + "}"
    if typ == "map<text, int>":
        return "{" + ", ".join("%s: %d" % (_str(k), r.randint(0, 9)) for k in r.sample("abcd", r.randint(0, 3))) + "}"
    if typ == "frozen<map<int, text>>":
        return "{" + ", ".join("%d: %s" % (k, _str(r.choice("xyz"))) for k in r.sample(range(5), r.randint(0, 3))) + "}"
    if typ == "tuple<int, text>":
        return "(%d, %s)" % (r.randint(0, 3), _str(r.choice(["a", "b", ""])))
    raise ValueError(typ)


class Table:
    def __init__(self, r, name, lwt=False, counter=False):
        self.name, self.lwt, self.counter = name, lwt, counter
        self.pk = [("p%d" % i, r.choice(KEY_TYPES)) for i in range(r.choice([1, 1, 1, 2]))]
        self.ck = [("c%d" % i, r.choice(KEY_TYPES)) for i in range(r.choice([0, 1, 1, 2]))]
        self.order = [r.choice(["ASC", "DESC"]) for _ in self.ck]
        if counter:
            self.static = []
            self.cols = [("n%d" % i, "counter") for i in range(r.randint(1, 2))]
        else:
            self.static = [("s0", r.choice(list(SCALARS)))] if self.ck and r.random() < (0.7 if lwt else 0.4) else []
            self.cols = [("v%d" % i, r.choice(VALUE_TYPES)) for i in range(r.randint(1, 4))]

    index = None  # the column with a secondary index

    def ddl(self):
        cols = ["%s %s" % c for c in self.pk + self.ck]
        cols += ["%s %s static" % c for c in self.static]
        cols += ["%s %s" % c for c in self.cols]
        pk = ", ".join(n for n, _ in self.pk)
        if len(self.pk) > 1:
            pk = "(" + pk + ")"
        key = ", ".join([pk] + [n for n, _ in self.ck])
        stmt = "CREATE TABLE %s (%s, PRIMARY KEY (%s))" % (self.name, ", ".join(cols), key)
        if self.ck:
            stmt += " WITH CLUSTERING ORDER BY (%s)" % ", ".join(
                "%s %s" % (n, o) for (n, _), o in zip(self.ck, self.order))
        return stmt

    def pk_where(self, r):
        return " AND ".join("%s = %s" % (n, literal(r, t, True, True)) for n, t in self.pk)

    def full_key_where(self, r):
        parts = [self.pk_where(r)] + ["%s = %s" % (n, literal(r, t, True)) for n, t in self.ck]
        return " AND ".join(parts)


class Generator:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.ts = 1000
        # tables with a range deletion: Cassandra 5.0 fails a paged aggregate over a page that
        # ends inside a range tombstone (a read failure, its log: IllegalStateException "open RT
        # bound as its last item"), so their aggregates are not paged
        self.range_deleted = set()

    def tables(self):
        r = self.r
        out = [Table(r, "t%d" % i) for i in range(3)]
        out.append(Table(r, "lwt0", lwt=True))
        out.append(Table(r, "cnt0", counter=True))
        # a secondary index on a scalar column of t0, queried without filtering
        scalars = [c for c, ty in out[0].cols if ty in KEY_SCALARS]
        out[0].index = r.choice(scalars) if scalars and r.random() < 0.6 else None
        return out

    def using(self, t, ttl=True):
        """USING TIMESTAMP, mostly increasing; sometimes the last one again (ties: a deletion
        beats a write, an expiring cell a live one, else the greater value) or an older one (the
        write loses to what is there)."""
        if t.lwt:
            return ""
        x = self.r.random()
        if x < 0.75:
            self.ts += 1
            ts = self.ts
        elif x < 0.9:
            ts = self.ts
        else:
            ts = self.ts - self.r.randint(1, 20)
        parts = ["TIMESTAMP %d" % ts]
        # TTLs only on a timestamp of its own: between two expiring cells of one timestamp the
        # later expiry wins, and each server takes its own clock for that
        if ttl and ts == self.ts and x < 0.75 and self.r.random() < 0.15:
            parts.append("TTL %d" % self.r.choice([100000, 200000]))
        return " USING " + " AND ".join(parts)

    def statement(self, t):
        """(statement, options, key where-clause of the partition it writes or None)."""
        r = self.r
        if t.counter:
            if r.random() < 0.5:
                where = t.full_key_where(r)
                sets = ", ".join("%s = %s %s %d" % (n, n, r.choice("+-"), r.randint(1, 5)) for n, _ in t.cols)
                return "UPDATE %s SET %s WHERE %s" % (t.name, sets, where), {}, where
            return self.select(t)
        x = r.random()
        if x < 0.30:
            return self.insert(t)
        if x < 0.45:
            return self.update(t)
        if x < 0.55:
            return self.delete(t)
        if x < 0.60 and not t.lwt:
            return self.batch(t)
        if t.lwt and x < 0.75:
            return self.conditional(t)
        return self.select(t)

    def insert(self, t, pk_values=None):
        r = self.r
        cols = t.pk + t.ck + [c for c in t.static + t.cols if r.random() < 0.7]
        vals = [literal(r, ty, key=(c, ty) in t.pk + t.ck, partition=(c, ty) in t.pk) for c, ty in cols]
        if pk_values:
            vals[:len(pk_values)] = pk_values
        stmt = "INSERT INTO %s (%s) VALUES (%s)" % (t.name, ", ".join(c for c, _ in cols), ", ".join(vals))
        where = " AND ".join("%s = %s" % (c, v) for (c, _), v in zip(t.pk, vals))
        return stmt + self.using(t), {}, where

    def update(self, t):
        r = self.r
        targets = t.cols + t.static
        sets = []
        for c, ty in r.sample(targets, r.randint(1, len(targets))):
            if ty == "list<int>" and r.random() < 0.5:
                sets.append(r.choice(["%s = %s + [%d]" % (c, c, r.randint(0, 3)),
                                      "%s = [%d] + %s" % (c, r.randint(0, 3), c),
                                      "%s = %s - [%d]" % (c, c, r.randint(0, 3)),
                                      "%s[%d] = %d" % (c, r.randint(0, 3), r.randint(0, 3))]))
            elif ty == "set<text>" and r.random() < 0.5:
                sets.append("%s = %s %s {%s}" % (c, c, r.choice("+-"), _str(r.choice("abcd"))))
            elif ty == "map<text, int>" and r.random() < 0.5:
                sets.append(r.choice(["%s[%s] = %d" % (c, _str(r.choice("abcd")), r.randint(0, 9)),
                                      "%s = %s + {%s: %d}" % (c, c, _str(r.choice("abcd")), r.randint(0, 9)),
                                      "%s = %s - {%s}" % (c, c, _str(r.choice("abcd")))]))
            else:
                sets.append("%s = %s" % (c, literal(r, ty)))
        only_static = all(s.split()[0].split("[")[0] in [n for n, _ in t.static] for s in sets)
        where = t.pk_where(r) if only_static and t.static else t.full_key_where(r)
        return "UPDATE %s%s SET %s WHERE %s" % (t.name, self.using(t, ttl=True), ", ".join(sets), where), {}, \
            where.split(" AND c")[0] if t.ck else where

    def delete(self, t):
        r = self.r
        x = r.random()
        pkw = t.pk_where(r)
        using = self.using(t, ttl=False)
        if x < 0.3 or not t.ck:
            cols = ""
            if r.random() < 0.15 and t.static:
                return "DELETE %s FROM %s%s WHERE %s" % (t.static[0][0], t.name, using, pkw), {}, pkw
            if r.random() < 0.5 and t.cols:
                c, ty = r.choice(t.cols)
                element = {"map<text, int>": lambda: _str(r.choice("abcd")), "set<text>": lambda: _str(r.choice("abcd")),
                           "list<int>": lambda: str(r.randint(0, 3))}.get(ty)
                cols = c + (("[%s]" % element()) if element and r.random() < 0.5 else "") + " "
                where = t.full_key_where(r)
                return "DELETE %sFROM %s%s WHERE %s" % (cols, t.name, using, where), {}, where.split(" AND c")[0]
            return "DELETE FROM %s%s WHERE %s" % (t.name, using, pkw), {}, pkw
        if x < 0.6:
            where = t.full_key_where(r)
            return "DELETE FROM %s%s WHERE %s" % (t.name, using, where), {}, where.split(" AND c")[0]
        self.range_deleted.add(t.name)
        return "DELETE FROM %s%s WHERE %s AND %s" % (t.name, using, pkw, self.ck_slice(t)), {}, pkw

    def ck_slice(self, t):
        """A slice of the clustering columns: one bound or two on the first, on the second
        after an equality on the first, or on both as a tuple."""
        r = self.r
        ops = ["<", "<=", ">", ">="]
        c, ty = t.ck[0]
        x = r.random()
        if len(t.ck) > 1 and x < 0.3:
            c1, ty1 = t.ck[1]
            return "%s = %s AND %s %s %s" % (c, literal(r, ty, True), c1, r.choice(ops), literal(r, ty1, True))
        if len(t.ck) > 1 and x < 0.45:
            c1, ty1 = t.ck[1]
            return "(%s, %s) %s (%s, %s)" % (c, c1, r.choice(ops), literal(r, ty, True), literal(r, ty1, True))
        if x < 0.65:
            return "%s %s %s AND %s %s %s" % (c, r.choice([">", ">="]), literal(r, ty, True),
                                              c, r.choice(["<", "<="]), literal(r, ty, True))
        return "%s %s %s" % (c, r.choice(ops), literal(r, ty, True))

    def batch(self, t):
        r = self.r
        parts = []
        for _ in range(r.randint(2, 3)):
            s, _, _ = r.choice([self.insert, self.update])(t)
            parts.append(s)
        kind = r.choice(["", "UNLOGGED "])
        return "BEGIN %sBATCH %s; APPLY BATCH" % (kind, "; ".join(parts)), {}, None

    def condition(self, t):
        """One condition of an IF: on a column (static or not) or an element of a collection,
        with every operator, null, IN and CONTAINS."""
        r = self.r
        c, ty = r.choice(t.cols + t.static)
        x = r.random()
        if ty == "map<text, int>" and x < 0.3:
            return "%s[%s] %s %s" % (c, _str(r.choice("abcd")), r.choice(["=", "!=", "<", ">="]),
                                     r.choice(["null", str(r.randint(0, 9))]))
        if ty == "list<int>" and x < 0.3:
            return "%s[%d] %s %s" % (c, r.randint(0, 3), r.choice(["=", "!=", ">"]), r.choice(["null", str(r.randint(-1, 3))]))
        if ty.startswith(("list", "set", "map", "frozen")) and x < 0.45:
            element = {"list<int>": "int", "frozen<list<int>>": "int", "set<text>": "text", "frozen<set<int>>": "int",
                       "map<text, int>": "int", "frozen<map<int, text>>": "text"}[ty]
            if ty.startswith(("map", "frozen<map")) and r.random() < 0.5:
                return "%s CONTAINS KEY %s" % (c, literal(r, {"map<text, int>": "text"}.get(ty, "int"), True))
            return "%s CONTAINS %s" % (c, literal(r, element, True))
        if x < 0.6:
            return "%s %s null" % (c, r.choice(["=", "!="]))
        if x < 0.7:
            return "%s IN (%s, %s)" % (c, literal(r, ty), literal(r, ty))
        return "%s %s %s" % (c, r.choice(["=", "=", "!=", "<", "<=", ">", ">="]), literal(r, ty))

    def conditions(self, t):
        r = self.r
        x = r.random()
        if x < 0.15:
            return "IF EXISTS"
        # One condition per column or element: Cassandra evaluates a column's (or element's)
        # conditions in the order of a HashSet of identity hashes, which varies from run to
        # run, and stops at the first false one (a later invalid one raises nothing).
        conds = {}
        for _ in range(r.choice([1, 1, 2, 3])):
            cond = self.condition(t)
            conds.setdefault(cond.split()[0], cond)
        return "IF " + " AND ".join(conds.values())

    def conditional(self, t):
        r = self.r
        x = r.random()
        if x < 0.3:
            s, _, w = self.insert(t)
            return s + " IF NOT EXISTS", {}, w
        if x < 0.7 and t.cols:
            s, _, w = self.update(t)
            return s + " " + self.conditions(t), {}, w
        if x < 0.8:
            # a conditional batch: its statements on one partition, the conditions on one row
            pkv = [literal(r, ty, True, True) for _, ty in t.pk]
            pk = " AND ".join("%s = %s" % (n, v) for (n, _), v in zip(t.pk, pkv))
            parts = []
            for i in range(r.randint(1, 3)):
                kind = r.choice([self.insert, self.update, self.delete])
                if kind == self.insert:
                    s = self.insert(t, pkv)[0]
                else:
                    head, where = kind(t)[0].split(" WHERE ", 1)
                    s = head + " WHERE " + " AND ".join([pk] + where.split(" AND ")[len(t.pk):])
                parts.append(s + (" " + self.conditions(t) if i == 0 else ""))
            return "BEGIN BATCH %s; APPLY BATCH" % "; ".join(parts), {}, pk
        where = t.full_key_where(r)
        cols = ""
        if r.random() < 0.3 and t.cols:
            cols = r.choice(t.cols + t.static)[0] + " "
        return "DELETE %sFROM %s WHERE %s %s" % (cols, t.name, where, self.conditions(t)), {}, \
            where.split(" AND c")[0] if t.ck else where

    def select(self, t):
        r = self.r
        opts = {}
        if r.random() < 0.3:
            opts["page"] = r.randint(1, 4)
        if r.random() < 0.12:
            return self.projection(t), opts, None
        x = r.random()
        cols = "*"
        if r.random() < 0.2 and not t.counter:
            c, _ = r.choice(t.cols)
            cols = r.choice(["%s, writetime(%s)" % (c, c), "%s, ttl(%s)" % (c, c), "%s, maxwritetime(%s)" % (c, c)])
        pks = ", ".join(n for n, _ in t.pk)
        if t.index and r.random() < 0.1:
            # an index query: rows in the index's order (token, then clustering)
            stmt = "SELECT %s FROM %s WHERE %s = %s" % (cols, t.name, t.index, literal(r, dict(t.cols)[t.index]))
            if r.random() < 0.3:
                stmt = stmt.replace(" WHERE ", " WHERE %s AND " % t.pk_where(r))
            return stmt + (" LIMIT %d" % r.randint(1, 4) if r.random() < 0.2 else ""), opts, None
        if x < 0.3:
            stmt = "SELECT %s FROM %s WHERE %s" % (cols, t.name, t.pk_where(r))
            if t.ck and r.random() < 0.6:
                c, ty = t.ck[0]
                y = r.random()
                if y < 0.4:
                    stmt += " AND %s = %s" % (c, literal(r, ty, True))
                elif y < 0.55:
                    stmt += " AND %s IN (%s)" % (c, ", ".join(sorted({literal(r, ty, True) for _ in range(r.randint(1, 3))})))
                else:
                    stmt += " AND " + self.ck_slice(t)
            if t.ck and r.random() < 0.3:
                stmt += " ORDER BY %s %s" % (t.ck[0][0], r.choice(["ASC", "DESC"]))
            if r.random() < 0.1:
                stmt += " PER PARTITION LIMIT %d" % r.randint(1, 3)
            if r.random() < 0.3:
                stmt += " LIMIT %d" % r.randint(1, 3)
            return stmt, opts, None
        if x < 0.45 and len(t.pk) == 1:
            n, ty = t.pk[0]
            keys = sorted({literal(r, ty, True, True) for _ in range(r.randint(1, 3))})
            if t.ck and x < 0.36:
                # ORDER BY over partitions: only the clustering columns selected, so rows that
                # tie in the order are equal; without a LIMIT within the page size Cassandra
                # refuses it (it cannot page post-query ordering)
                cks = ", ".join(c for c, _ in t.ck)
                rev = r.random() < 0.5
                order = ", ".join("%s %s" % (c, ("DESC" if (o == "ASC") == rev else "ASC"))
                                  for (c, _), o in zip(t.ck, t.order))
                stmt = "SELECT %s FROM %s WHERE %s IN (%s) ORDER BY %s" % (cks, t.name, n, ", ".join(keys), order)
                if r.random() < 0.8:
                    stmt += " LIMIT %d" % r.randint(1, 6)
                return stmt, {}, None
            if len(keys) > 1:
                # the node returns IN partitions in list order, Cassandra in key order (the
                # corpus keeps that difference on its allowlist): compared as a multiset here
                opts["unordered"] = True
            stmt = "SELECT %s FROM %s WHERE %s IN (%s)" % (cols, t.name, n, ", ".join(keys))
            if t.ck and r.random() < 0.3:
                stmt += " AND " + self.ck_slice(t)
            if r.random() < 0.2:
                stmt += " PER PARTITION LIMIT %d" % r.randint(1, 2)
            return stmt, opts, None
        if x < 0.53:
            stmt = "SELECT %s FROM %s" % (cols, t.name)
            if r.random() < 0.25:
                stmt += " PER PARTITION LIMIT %d" % r.randint(1, 2)
            if r.random() < 0.3:
                stmt += " LIMIT %d" % r.randint(1, 5)
            return stmt, opts, None
        if x < 0.7 and t.name in self.range_deleted:
            opts.pop("page", None)
        if x < 0.6:
            return "SELECT count(*) FROM %s" % t.name, opts, None
        if x < 0.7:
            stmt = self.aggregate(t)
            if not t.ck and " GROUP BY " in stmt and " WHERE " not in stmt:
                # Cassandra 5.0 fails the second page of a GROUP BY scan over a table without
                # clustering columns with a protocol error ("Invalid value for the paging
                # state")
                opts.pop("page", None)
            return stmt, opts, None
        if x < 0.78 and not t.counter:
            c, ty = r.choice(t.cols + t.static)
            if ty.startswith(("list", "set", "map")) and not ty.startswith("frozen"):
                return "SELECT * FROM %s WHERE %s CONTAINS %s ALLOW FILTERING" % (
                    t.name, c, literal(r, {"list<int>": "int", "set<text>": "text", "map<text, int>": "int"}[ty])), opts, None
            return "SELECT * FROM %s WHERE %s = %s ALLOW FILTERING" % (t.name, c, literal(r, ty)), opts, None
        if x < 0.88:
            extra = ", " + t.static[0][0] if t.static and r.random() < 0.5 else ""
            return "SELECT DISTINCT %s%s FROM %s" % (pks, extra, t.name), opts, None
        return "SELECT * FROM %s WHERE token(%s) %s %d" % (
            t.name, pks, r.choice([">", "<=", ">="]), r.randint(-2**63, 2**63 - 1)), opts, None

    def projection(self, t):
        """Values computed from the columns: SELECT JSON, toJson, CAST and arithmetic with
        literals, over a partition or the table."""
        r = self.r
        where = " WHERE " + t.pk_where(r) if r.random() < 0.7 else ""
        c, ty = r.choice(t.pk + t.ck + t.static + t.cols)
        numeric = ty in NUMERIC or ty == "counter"
        x = r.random()
        if x < 0.2:
            return "SELECT JSON * FROM %s%s" % (t.name, where)
        if x < 0.4 or not (ty in SCALARS or ty == "counter"):
            return "SELECT %s, toJson(%s) FROM %s%s" % (c, c, t.name, where)
        if ty in ("timestamp", "date") and r.random() < 0.5:
            return "SELECT %s, %s %s %s FROM %s%s" % (c, c, r.choice("+-"), r.choice(["1d", "2h", "1mo", "1y2mo3d"]),
                                                       t.name, where)
        if x < 0.7 or not numeric:
            targets = ["text", "ascii"] + (NUMERIC if numeric else [])
            return "SELECT %s, CAST(%s AS %s) FROM %s%s" % (c, c, r.choice(targets), t.name, where)
        ops = ["%s + 1", "%s - 2", "%s * -3", "%s / 3", "%s %% 4", "-%s", "1 - %s", "%s + 0.5"]
        others = [o for o, oty in t.cols + t.static + t.ck if oty in NUMERIC and o != c]
        if others and ty != "counter":
            ops += ["%%s + %s" % r.choice(others), "%%s * %s" % r.choice(others)]
        sel = ", ".join(op % c for op in r.sample(ops, r.randint(1, 3)))
        return "SELECT %s, %s FROM %s%s" % (c, sel, t.name, where)

    def aggregate(self, t):
        """Aggregates over a partition or the table, with or without GROUP BY."""
        r = self.r
        pks = [n for n, _ in t.pk]
        scalars = [(c, ty) for c, ty in t.cols + t.static if ty in SCALARS or ty == "counter"]
        sels = ["count(*)"]
        for _ in range(r.randint(0, 2)):
            if not scalars:
                break
            c, ty = r.choice(scalars)
            fns = ["count", "min", "max"]
            if ty in ("int", "bigint", "smallint", "tinyint", "varint", "double", "float", "decimal", "counter"):
                fns += ["sum", "avg"]
            sels.append("%s(%s)" % (r.choice(fns), c))
        where = ""
        if r.random() < 0.4:
            where = " WHERE " + t.pk_where(r)
        group = ""
        y = r.random()
        if y < 0.6:
            by = pks + [c for c, _ in t.ck[:r.randint(0, len(t.ck))]]
            group = " GROUP BY " + ", ".join(by)
            sels = by + sels
            if r.random() < 0.2:
                sels.append(r.choice(t.cols)[0])
        return "SELECT %s FROM %s%s%s" % (", ".join(sels), t.name, where, group)


def _run_sequence(targets, ks, seq):
    """Replays `seq` [(stmt, opts)] on fresh keyspaces; returns the last statement's diffs."""
    for t in targets:
        t.use(ks)
    diffs = []
    for stmt, opts in seq:
        a = compat.execute(targets[0], stmt, opts)
        b = compat.execute(targets[1], stmt, opts)
        diffs = compat.compare(a, b, ordered=not opts.get("unordered"))
    return diffs


def shrink(targets, seed, history, aspect, budget_s=90):
    """Delta debugging: the shortest subsequence of history[:-1] (CREATE TABLE kept) plus the
    failing last statement whose last statement still disagrees in `aspect`."""
    ddl = [h for h in history[:-1] if h[0].startswith("CREATE")]
    body = [h for h in history[:-1] if not h[0].startswith("CREATE")]
    last = history[-1]
    deadline = time.time() + budget_s
    attempt = [0]

    def fails(candidate):
        attempt[0] += 1
        ks = "shrink_%d_%d" % (seed, attempt[0])
        diffs = _run_sequence(targets, ks, ddl + candidate + [last])
        for t in targets:
            t.session.execute("DROP KEYSPACE IF EXISTS %s" % ks)
        return any(d[0] == aspect for d in diffs)

    if not fails(body):
        return None  # does not reproduce on a fresh keyspace
    n = 2
    while len(body) >= 1 and time.time() < deadline:
        chunk = max(1, len(body) // n)
        reduced = False
        for i in range(0, len(body), chunk):
            cand = body[:i] + body[i + chunk:]
            if time.time() >= deadline:
                break
            if fails(cand):
                body, n, reduced = cand, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(body), n * 2)
    used = {w for s, _ in body + [last] for w in s.replace("(", " ").split()}
    ddl = [h for h in ddl if h[0].split()[2] in used or
           (h[0].startswith("CREATE INDEX") and h[0].split()[4] in used)]
    return ddl + body + [last]


def run(targets, report, seed, count):
    t0 = time.time()
    gen = Generator(seed)
    ks = "r_%d" % seed
    for t in targets:
        t.use(ks)
    history = []
    executed = 0
    last_bad = []

    def step(stmt, opts):
        nonlocal executed
        executed += 1
        history.append((stmt, opts))
        a = compat.execute(targets[0], stmt, opts)
        b = compat.execute(targets[1], stmt, opts)
        before = len(report.failures)
        bad = report.check("random", "seed %d #%d" % (seed, executed), stmt, a, b,
                           ordered=not opts.get("unordered"))
        if bad:
            del report.failures[before:]
            last_bad[:] = bad
            return bad[0][0]
        return None

    tables = gen.tables()
    for t in tables:
        step(t.ddl(), {})
    for t in tables:
        if t.index:
            step("CREATE INDEX %s_%s ON %s (%s)" % (t.name, t.index, t.name, t.index), {})
    failed_aspect = None
    while executed < count and failed_aspect is None:
        t = gen.r.choice(tables)
        stmt, opts, where = gen.statement(t)
        failed_aspect = step(stmt, opts)
        if failed_aspect is None and where:
            failed_aspect = step("SELECT * FROM %s WHERE %s" % (t.name, where), {})
    print("random: seed %d, %d statements in %.1f s" % (seed, executed, time.time() - t0), flush=True)
    if failed_aspect is None:
        return
    print("random: disagreement (%s) at statement %d of seed %d: %s\n  postfork:  %r\n  cassandra: %r\n"
          "shrinking..." % (failed_aspect, executed, seed, history[-1][0], last_bad[0][1], last_bad[0][2]),
          flush=True)
    seq = shrink(targets, seed, history, failed_aspect)
    if seq is None:
        seq = history
        print("random: it does not reproduce on a fresh keyspace; the whole sequence follows")
    print("random: shortest disagreeing sequence (seed %d, %d statements):" % (seed, len(seq)))
    for s, o in seq:
        print("    %s;%s" % (s, ("  -- %r" % o) if o else ""))
    for aspect, mine, theirs in last_bad:
        report.failures.append(("random", "seed %d #%d (rerun: COMPAT_SEED=%d)" % (
            seed, executed, seed), history[-1][0], aspect, mine, theirs))
