"""Value types the DataStax driver returns for CQL types that Python's standard library lacks:
Date (date), Time (time), Duration (duration), SortedSet (set), OrderedMapSerializedKey (map),
and named tuples for user-defined types. Same attribute names and comparisons as the DataStax
driver's ``cassandra.util`` classes; written for postfork."""
import collections
import collections.abc
import datetime
import functools
import keyword
import re

_EPOCH = datetime.date(1970, 1, 1)
_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_DAY = 86400 * _NANOS_PER_SECOND


class Date:
    """A CQL date: days since 1970-01-01 (``days_from_epoch``), which may lie outside the years
    datetime.date can hold. Built from an int (days), a date, a datetime or 'YYYY-MM-DD'."""
    __slots__ = ("days_from_epoch",)

    def __init__(self, value):
        if isinstance(value, Date):
            self.days_from_epoch = value.days_from_epoch
        elif isinstance(value, int):
            self.days_from_epoch = value
        elif isinstance(value, datetime.datetime):
            self.days_from_epoch = (value.date() - _EPOCH).days
        elif isinstance(value, datetime.date):
            self.days_from_epoch = (value - _EPOCH).days
        elif isinstance(value, str):
            self.days_from_epoch = (datetime.date.fromisoformat(value) - _EPOCH).days
        else:
            raise TypeError("Date arguments must be a whole number, date or 'YYYY-MM-DD', not %r"
                            % type(value).__name__)

    @property
    def seconds(self):
        return self.days_from_epoch * 86400

    def date(self):
        """The datetime.date; ValueError outside years 1..9999."""
        return _EPOCH + datetime.timedelta(days=self.days_from_epoch)

    def __eq__(self, other):
        if isinstance(other, Date):
            return self.days_from_epoch == other.days_from_epoch
        if isinstance(other, int):
            return self.days_from_epoch == other
        if isinstance(other, datetime.date) and not isinstance(other, datetime.datetime):
            try:
                return self.date() == other
            except (ValueError, OverflowError):
                return False
        return NotImplemented

    def __lt__(self, other):
        return self.days_from_epoch < Date(other).days_from_epoch

    def __hash__(self):
        return hash(self.days_from_epoch)

    def __repr__(self):
        return "Date(%s)" % self.days_from_epoch

    def __str__(self):
        try:
            return str(self.date())
        except (ValueError, OverflowError):
            return str(self.days_from_epoch)


class Time:
    """A CQL time: nanoseconds since midnight (``nanosecond_time``). Built from an int
    (nanoseconds), a datetime.time or 'HH:MM:SS[.fffffffff]'."""
    __slots__ = ("nanosecond_time",)

    def __init__(self, value):
        if isinstance(value, Time):
            value = value.nanosecond_time
        if isinstance(value, int):
            if not 0 <= value < _NANOS_PER_DAY:
                raise ValueError("Time value out of range: %d" % value)
            self.nanosecond_time = value
        elif isinstance(value, datetime.time):
            self.nanosecond_time = (((value.hour * 60 + value.minute) * 60 + value.second)
                                    * _NANOS_PER_SECOND + value.microsecond * 1000)
        elif isinstance(value, str):
            m = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?", value.strip())
            if not m:
                raise ValueError("Time string must be HH:MM:SS[.fffffffff], not %r" % value)
            h, mi, s, frac = m.groups()
            self.nanosecond_time = ((int(h) * 60 + int(mi)) * 60 + int(s)) * _NANOS_PER_SECOND \
                + int((frac or "0").ljust(9, "0"))
        else:
            raise TypeError("Time arguments must be a whole number, time or string, not %r"
                            % type(value).__name__)

    hour = property(lambda self: self.nanosecond_time // (3600 * _NANOS_PER_SECOND))
    minute = property(lambda self: self.nanosecond_time // (60 * _NANOS_PER_SECOND) % 60)
    second = property(lambda self: self.nanosecond_time // _NANOS_PER_SECOND % 60)
    nanosecond = property(lambda self: self.nanosecond_time % _NANOS_PER_SECOND)

    def time(self):
        return datetime.time(self.hour, self.minute, self.second, self.nanosecond // 1000)

    def __eq__(self, other):
        if isinstance(other, Time):
            return self.nanosecond_time == other.nanosecond_time
        if isinstance(other, int):
            return self.nanosecond_time == other
        if isinstance(other, datetime.time):
            return self.nanosecond_time % 1000 == 0 and self.time() == other
        return NotImplemented

    def __lt__(self, other):
        return self.nanosecond_time < Time(other).nanosecond_time

    def __hash__(self):
        return hash(self.nanosecond_time)

    def __repr__(self):
        return "Time(%s)" % self.nanosecond_time

    def __str__(self):
        return "%02d:%02d:%02d.%09d" % (self.hour, self.minute, self.second, self.nanosecond)


class Duration:
    """A CQL duration: months, days and nanoseconds, each signed (all of one sign)."""
    __slots__ = ("months", "days", "nanoseconds")

    def __init__(self, months=0, days=0, nanoseconds=0):
        self.months, self.days, self.nanoseconds = months, days, nanoseconds

    def __eq__(self, other):
        if not isinstance(other, Duration):
            return NotImplemented
        return (self.months, self.days, self.nanoseconds) == \
            (other.months, other.days, other.nanoseconds)

    def __hash__(self):
        return hash((self.months, self.days, self.nanoseconds))

    def __repr__(self):
        return "Duration(%d, %d, %d)" % (self.months, self.days, self.nanoseconds)

    def __str__(self):
        sign = "-" if min(self.months, self.days, self.nanoseconds) < 0 else ""
        return "%s%dmo%dd%dns" % (sign, abs(self.months), abs(self.days), abs(self.nanoseconds))


class SortedSet(collections.abc.MutableSet):
    """A set kept in sorted order (CQL sets are sorted); equal to any set with the same items.
    Works for unhashable items (frozen collections) too."""

    def __init__(self, iterable=()):
        self._items = []
        for item in iterable:
            self.add(item)

    def _find(self, item):
        import bisect
        try:
            i = bisect.bisect_left(self._items, item)
        except TypeError:  # incomparable items: linear search
            for i, x in enumerate(self._items):
                if x == item:
                    return i, True
            return len(self._items), False
        return i, i < len(self._items) and self._items[i] == item

    def __contains__(self, item):
        return self._find(item)[1]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __getitem__(self, i):
        return self._items[i]

    def add(self, item):
        i, found = self._find(item)
        if not found:
            self._items.insert(i, item)

    def discard(self, item):
        i, found = self._find(item)
        if found:
            del self._items[i]

    def __eq__(self, other):
        if isinstance(other, (SortedSet, collections.abc.Set)):
            return len(self) == len(other) and all(x in other for x in self)
        if isinstance(other, list):
            return self._items == other
        return NotImplemented

    def __repr__(self):
        return "SortedSet(%r)" % (self._items,)

    __hash__ = None


def _freeze(key):
    if isinstance(key, dict):
        return ("map", tuple((_freeze(k), _freeze(v)) for k, v in key.items()))
    if isinstance(key, (list, tuple)):
        return tuple(_freeze(k) for k in key)
    if isinstance(key, (set, frozenset, SortedSet)):
        return ("set", tuple(sorted((_freeze(k) for k in key), key=repr)))
    if isinstance(key, OrderedMapSerializedKey):
        return ("map", tuple((_freeze(k), _freeze(v)) for k, v in key.items()))
    return key


class OrderedMapSerializedKey(collections.abc.Mapping):
    """A CQL map as returned: entries in the server's order; keys may be unhashable (frozen
    collections), looked up by value. Equal to a dict with the same items."""

    def __init__(self, pairs=()):
        self._keys, self._values, self._index = [], [], {}
        for k, v in pairs:
            fk = _freeze(k)
            if fk in self._index:
                self._values[self._index[fk]] = v
            else:
                self._index[fk] = len(self._keys)
                self._keys.append(k)
                self._values.append(v)

    def __getitem__(self, key):
        try:
            return self._values[self._index[_freeze(key)]]
        except (KeyError, TypeError):
            raise KeyError(key) from None

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)

    def items(self):
        return list(zip(self._keys, self._values))

    def __eq__(self, other):
        if isinstance(other, collections.abc.Mapping):
            if len(self) != len(other):
                return False
            try:
                return all(other[k] == v for k, v in self.items())
            except (KeyError, TypeError):
                return False
        return NotImplemented

    def __repr__(self):
        return "OrderedMapSerializedKey(%r)" % (self.items(),)

    def __str__(self):
        return "{%s}" % ", ".join("%r: %r" % kv for kv in self.items())

    __hash__ = None


OrderedMap = OrderedMapSerializedKey

# (keyspace, type name) -> class registered by Cluster.register_user_type
_registered_udts = {}


def _identifier(name):
    clean = re.sub(r"[^a-zA-Z0-9_]", "_", name)
    if not clean or clean[0].isdigit() or keyword.iskeyword(clean):
        clean = "f_" + clean
    return clean


@functools.lru_cache(maxsize=1024)
def _udt_class(keyspace, name, fields):
    return collections.namedtuple(_identifier(name), [_identifier(f) for f in fields],
                                  rename=True)


def make_udt(keyspace, name, fields, values):
    """A UDT value: an instance of the class registered with Cluster.register_user_type, else of
    a named tuple named after the type, with one field per UDT field."""
    klass = _registered_udts.get((keyspace, name))
    if klass is not None:
        return klass(**dict(zip(fields, values)))
    return _udt_class(keyspace, name, fields)(*values)
