"""Statements and row factories, as in the DataStax driver's ``cassandra.query``."""
import collections
import functools
import keyword
import re

from postfork import _driver
from postfork._errors import ConsistencyLevel  # noqa: F401


class _Unset:
    def __repr__(self):
        return "UNSET_VALUE"

    def __reduce__(self):
        return "UNSET_VALUE"


UNSET_VALUE = _Unset()  # a bound value left unset: the column is not written


# ---- row factories: (column_names, rows as tuples) -> list -----------------------------------

def tuple_factory(colnames, rows):
    return rows


def dict_factory(colnames, rows):
    return [dict(zip(colnames, row)) for row in rows]


def ordered_dict_factory(colnames, rows):
    return [collections.OrderedDict(zip(colnames, row)) for row in rows]


def _clean_column_name(name):
    clean = re.sub(r"^[^a-zA-Z0-9]*|[^a-zA-Z0-9_]*$", "", name)
    clean = re.sub(r"[^a-zA-Z0-9_]", "_", clean)
    if not clean or clean[0].isdigit() or keyword.iskeyword(clean):
        clean = "field_" + clean
    return clean


@functools.lru_cache(maxsize=256)
def _row_class(colnames):
    cls = collections.namedtuple("Row", [_clean_column_name(c) for c in colnames], rename=True)
    _driver.adopt_row_class(cls)  # the deallocator of a plain tuple (python/src/module.cc)
    return cls


def named_tuple_factory(colnames, rows):
    """Rows as named tuples with a field per column ('[applied]' becomes 'applied'); the default."""
    make = _row_class(tuple(colnames))._make
    return [make(row) for row in rows]


# ---- statements ------------------------------------------------------------------------------

FETCH_SIZE_UNSET = object()


class BatchType:
    class _Type:
        def __init__(self, name, value):
            self.name, self.value = name, value

        def __repr__(self):
            return "BatchType.%s" % self.name

    LOGGED = _Type("LOGGED", 0)
    UNLOGGED = _Type("UNLOGGED", 1)
    COUNTER = _Type("COUNTER", 2)


class Statement:
    def __init__(self, retry_policy=None, consistency_level=None, routing_key=None,
                 serial_consistency_level=None, fetch_size=FETCH_SIZE_UNSET, keyspace=None,
                 custom_payload=None, is_idempotent=False, paging_state=None, timeout=None):
        self.retry_policy = retry_policy
        self.consistency_level = consistency_level
        self.serial_consistency_level = serial_consistency_level
        self.fetch_size = fetch_size
        self.keyspace = keyspace
        self.routing_key = routing_key
        self.custom_payload = custom_payload
        self.is_idempotent = is_idempotent
        self.paging_state = paging_state
        self.timeout = timeout


class SimpleStatement(Statement):
    """CQL text; ``%s`` / ``%(name)s`` parameters are interpolated client-side as literals."""

    def __init__(self, query_string, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._query_string = query_string

    @property
    def query_string(self):
        return self._query_string

    def __str__(self):
        return self._query_string


class PreparedStatement:
    """A prepared query (Session.prepare). ``bind(values)`` makes a BoundStatement."""

    def __init__(self, core, session):
        self._core = core
        self._session = session
        self.query_string = core.query
        self.keyspace = core.keyspace or None
        self.query_id = core.id
        self.consistency_level = None
        self.serial_consistency_level = None
        self.fetch_size = FETCH_SIZE_UNSET
        self.is_idempotent = False
        self.routing_key_indexes = core.routing_key_indexes
        self._bind_names = core.bind_names

    @property
    def column_names(self):
        return list(self._bind_names)

    @property
    def column_types(self):
        return self._core.bind_types

    @property
    def result_column_names(self):
        return self._core.result_names

    def bind(self, values=None):
        return BoundStatement(self).bind(values)

    def __str__(self):
        return self.query_string


class BoundStatement(Statement):
    def __init__(self, prepared_statement, retry_policy=None, consistency_level=None,
                 routing_key=None, serial_consistency_level=None,
                 fetch_size=FETCH_SIZE_UNSET, keyspace=None, custom_payload=None):
        p = prepared_statement
        super().__init__(
            retry_policy, consistency_level if consistency_level is not None else
            p.consistency_level, routing_key,
            serial_consistency_level if serial_consistency_level is not None else
            p.serial_consistency_level,
            fetch_size if fetch_size is not FETCH_SIZE_UNSET else p.fetch_size, keyspace,
            custom_payload, p.is_idempotent)
        self.prepared_statement = p
        self.values = []

    def bind(self, values):
        """Positional values (a sequence) or named ones (a dict: missing names stay unset)."""
        if values is None:
            values = ()
        names = self.prepared_statement._bind_names
        if isinstance(values, dict):
            unknown = set(values) - set(names)
            if unknown:
                raise KeyError("no bind marker named %s" % ", ".join(sorted(unknown)))
            values = [values.get(n, UNSET_VALUE) for n in names]
        elif len(values) > len(names):
            raise ValueError("Too many arguments provided to bind() (got %d, expected %d)"
                             % (len(values), len(names)))
        self.values = list(values)
        return self

    @property
    def query_string(self):
        return self.prepared_statement.query_string

    def __str__(self):
        return "<BoundStatement query=%r, values=%r>" % (self.query_string, self.values)


class BatchStatement(Statement):
    def __init__(self, batch_type=BatchType.LOGGED, retry_policy=None, consistency_level=None,
                 serial_consistency_level=None, session=None, custom_payload=None):
        super().__init__(retry_policy, consistency_level,
                         serial_consistency_level=serial_consistency_level,
                         custom_payload=custom_payload)
        self.batch_type = batch_type
        self._statements_and_parameters = []
        self._session = session

    def add(self, statement, parameters=None):
        """A query string or SimpleStatement (with ``%s`` parameters), a PreparedStatement with
        parameters, or a BoundStatement."""
        from postfork import encoder
        if isinstance(statement, str):
            self._statements_and_parameters.append(
                (encoder.bind_params(statement, parameters), None))
        elif isinstance(statement, SimpleStatement):
            self._statements_and_parameters.append(
                (encoder.bind_params(statement.query_string, parameters), None))
        elif isinstance(statement, PreparedStatement):
            self.add(statement.bind(parameters))
        elif isinstance(statement, BoundStatement):
            if parameters is not None:
                raise ValueError("parameters cannot be given with a BoundStatement")
            self._statements_and_parameters.append(
                (statement.prepared_statement._core, statement.values))
        else:
            raise TypeError("cannot add a %s to a batch" % type(statement).__name__)
        return self

    def add_all(self, statements, parameters):
        for statement, value in zip(statements, parameters):
            self.add(statement, value)

    def clear(self):
        del self._statements_and_parameters[:]

    def __len__(self):
        return len(self._statements_and_parameters)
