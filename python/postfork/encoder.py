"""Client-side interpolation of ``%s`` / ``%(name)s`` parameters into simple statements, as the
DataStax driver does: each value becomes a CQL literal."""
import datetime
import math
import sys

from postfork import util


def cql_quote(text):
    return "'" + text.replace("'", "''") + "'"


def cql_encode(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return cql_quote(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    # A UUID or Decimal exists only once its module is loaded (not imported here: the package
    # loads neither until a value needs it).
    uuid = sys.modules.get("uuid")
    if uuid is not None and isinstance(value, uuid.UUID):
        return str(value)
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        delta = value - datetime.datetime(1970, 1, 1)
        return str(delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000)
    if isinstance(value, datetime.date):
        return cql_quote(value.isoformat())
    if isinstance(value, datetime.time):
        return cql_quote(value.isoformat())
    if isinstance(value, (util.Date, util.Time)):
        return cql_quote(str(value))
    if isinstance(value, util.Duration):
        return str(value)
    if isinstance(value, (dict, util.OrderedMapSerializedKey)):
        return "{" + ", ".join("%s: %s" % (cql_encode(k), cql_encode(v))
                               for k, v in value.items()) + "}"
    if isinstance(value, (set, frozenset, util.SortedSet)):
        return "{" + ", ".join(cql_encode(v) for v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(cql_encode(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(cql_encode(v) for v in value) + ")"
    raise TypeError("cannot encode a %s as a CQL literal" % type(value).__name__)


def bind_params(query, params):
    """``query % params`` with every value as a CQL literal."""
    if params is None:
        return query
    if isinstance(params, dict):
        return query % {k: cql_encode(v) for k, v in params.items()}
    return query % tuple(cql_encode(v) for v in params)
