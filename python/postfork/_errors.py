"""Exceptions with the DataStax driver's names, fields and messages, and consistency levels."""
import re


class ConsistencyLevel:
    ANY = 0
    ONE = 1
    TWO = 2
    THREE = 3
    QUORUM = 4
    ALL = 5
    LOCAL_QUORUM = 6
    EACH_QUORUM = 7
    SERIAL = 8
    LOCAL_SERIAL = 9
    LOCAL_ONE = 10
    value_to_name = {0: "ANY", 1: "ONE", 2: "TWO", 3: "THREE", 4: "QUORUM", 5: "ALL",
                     6: "LOCAL_QUORUM", 7: "EACH_QUORUM", 8: "SERIAL", 9: "LOCAL_SERIAL",
                     10: "LOCAL_ONE"}
    name_to_value = {v: k for k, v in value_to_name.items()}


class ProtocolVersion:
    V4 = 4
    V5 = 5
    SUPPORTED_VERSIONS = (5, 4)


class WriteType:
    SIMPLE = 0
    BATCH = 1
    UNLOGGED_BATCH = 2
    COUNTER = 3
    BATCH_LOG = 4
    CAS = 5
    VIEW = 6
    CDC = 7
    name_to_value = {"SIMPLE": 0, "BATCH": 1, "UNLOGGED_BATCH": 2, "COUNTER": 3, "BATCH_LOG": 4,
                     "CAS": 5, "VIEW": 6, "CDC": 7}
    value_to_name = {v: k for k, v in name_to_value.items()}


def _cl_name(value):
    return ConsistencyLevel.value_to_name.get(value, value)


class DriverException(Exception):
    pass


class ForkError(DriverException):
    """A Session or Cluster used in a process it was not created in (a forked child)."""


class RequestExecutionException(DriverException):
    pass


class Unavailable(RequestExecutionException):
    def __init__(self, summary_message, consistency=None, required_replicas=None,
                 alive_replicas=None):
        self.consistency = consistency
        self.required_replicas = required_replicas
        self.alive_replicas = alive_replicas
        super().__init__(summary_message + " info=" + repr({
            "consistency": _cl_name(consistency), "required_replicas": required_replicas,
            "alive_replicas": alive_replicas}))


class Timeout(RequestExecutionException):
    def __init__(self, summary_message, consistency=None, required_responses=None,
                 received_responses=None, **kwargs):
        self.consistency = consistency
        self.required_responses = required_responses
        self.received_responses = received_responses
        info = {"consistency": _cl_name(consistency), "required_responses": required_responses,
                "received_responses": received_responses}
        info.update(kwargs)
        super().__init__(summary_message + " info=" + repr(info))


class ReadTimeout(Timeout):
    def __init__(self, message, data_retrieved=None, **kwargs):
        self.data_retrieved = data_retrieved
        super().__init__(message, data_retrieved=data_retrieved, **kwargs)


class WriteTimeout(Timeout):
    def __init__(self, message, write_type=None, **kwargs):
        self.write_type = write_type
        super().__init__(message, write_type=write_type, **kwargs)


class CoordinationFailure(RequestExecutionException):
    def __init__(self, summary_message, consistency=None, required_responses=None,
                 received_responses=None, failures=None, error_code_map=None):
        self.consistency = consistency
        self.required_responses = required_responses
        self.received_responses = received_responses
        self.failures = failures
        self.error_code_map = error_code_map
        super().__init__(summary_message + " info=" + repr({
            "consistency": _cl_name(consistency), "required_responses": required_responses,
            "received_responses": received_responses, "failures": failures}))


class ReadFailure(CoordinationFailure):
    def __init__(self, message, data_retrieved=None, **kwargs):
        self.data_retrieved = data_retrieved
        super().__init__(message, **kwargs)


class WriteFailure(CoordinationFailure):
    def __init__(self, message, write_type=None, **kwargs):
        self.write_type = write_type
        super().__init__(message, **kwargs)


class FunctionFailure(RequestExecutionException):
    def __init__(self, summary_message, keyspace=None, function=None, arg_types=None):
        self.keyspace = keyspace
        self.function = function
        self.arg_types = arg_types
        super().__init__(summary_message)


class RequestValidationException(DriverException):
    pass


class ConfigurationException(RequestValidationException):
    pass


class AlreadyExists(ConfigurationException):
    def __init__(self, keyspace=None, table=None):
        if table:
            message = "Table '%s.%s' already exists" % (keyspace, table)
        else:
            message = "Keyspace '%s' already exists" % (keyspace,)
        self.keyspace = keyspace
        self.table = table
        super().__init__(message)


class InvalidRequest(RequestValidationException):
    pass


class Unauthorized(RequestValidationException):
    pass


class SyntaxException(RequestValidationException):
    pass


class AuthenticationFailed(DriverException):
    pass


class ServerError(DriverException):
    pass


class ProtocolException(DriverException):
    pass


class UnsupportedOperation(DriverException):
    pass


class OperationTimedOut(DriverException):
    """The client-side timeout (Session.default_timeout or execute's timeout) expired."""

    def __init__(self, errors=None, last_host=None):
        self.errors = errors
        self.last_host = last_host
        super().__init__("errors=%s, last_host=%s" % (errors, last_host))


class NoHostAvailable(Exception):
    """No host could be used; ``errors`` maps each tried host to its error."""

    def __init__(self, message, errors):
        super().__init__(message, errors)
        self.errors = errors


class ConnectionShutdown(DriverException):
    pass


_SUMMARIES = {
    0x0000: "Server error", 0x000A: "Protocol error", 0x0100: "Bad credentials",
    0x1000: "Unavailable exception", 0x1001: "Coordinator node overloaded",
    0x1002: "Bootstrapping", 0x1003: "Error during truncate",
    0x1100: "Coordinator node timed out waiting for replica nodes' responses",
    0x1200: "Coordinator node timed out waiting for replica nodes' responses",
    0x1300: "Replica(s) failed to execute read", 0x1400: "User Defined Function failure",
    0x1500: "Replica(s) failed to execute write", 0x1700: "Unknown CAS write outcome",
    0x2000: "Syntax error in CQL query", 0x2100: "Unauthorized",
    0x2200: "Invalid query", 0x2300: "Query invalid because of configuration issue",
    0x2400: "Already exists", 0x2500: "Unprepared",
}


def _server_exception(code, message, f):
    text = 'Error from server: code=%04x [%s] message="%s"' % (
        code, _SUMMARIES.get(code, "Unknown"), message)
    cl = f.get("consistency")
    if code == 0x1000:
        return Unavailable(text, consistency=cl, required_replicas=f.get("required"),
                           alive_replicas=f.get("received"))
    if code == 0x1200:
        return ReadTimeout(text, consistency=cl, required_responses=f.get("required"),
                           received_responses=f.get("received"),
                           data_retrieved=f.get("data_present"))
    if code in (0x1100, 0x1700):
        return WriteTimeout(text, consistency=cl, required_responses=f.get("required"),
                            received_responses=f.get("received"),
                            write_type=WriteType.name_to_value.get(f.get("write_type")))
    if code == 0x1300:
        return ReadFailure(text, consistency=cl, required_responses=f.get("required"),
                           received_responses=f.get("received"),
                           failures=f.get("num_failures"), data_retrieved=f.get("data_present"))
    if code == 0x1500:
        return WriteFailure(text, consistency=cl, required_responses=f.get("required"),
                            received_responses=f.get("received"),
                            failures=f.get("num_failures"),
                            write_type=WriteType.name_to_value.get(f.get("write_type")))
    if code == 0x1400:
        return FunctionFailure(text, keyspace=f.get("function_keyspace"),
                               function=f.get("function_name"))
    if code == 0x2400:
        return AlreadyExists(keyspace=f.get("keyspace"), table=f.get("table"))
    if code == 0x2200:
        return InvalidRequest(text)
    if code == 0x2000:
        return SyntaxException(text)
    if code == 0x2100:
        return Unauthorized(text)
    if code == 0x2300:
        return ConfigurationException(text)
    if code == 0x0100:
        return AuthenticationFailed(text)
    if code == 0x000A:
        return ProtocolException(text)
    return ServerError(text)


def exception_for(error, host=None, connect=False):
    """The exception for an error tuple (kind, cql_code, message, fields) of postfork._driver."""
    kind, code, message, fields = error
    if kind in ("NoHostAvailable", "ConnectFailed") or (connect and code == 0x0100):
        hosts = re.findall(r"\b(\d+\.\d+\.\d+\.\d+:\d+|\[[0-9a-fA-F:]+\]:\d+)", message)
        cause = AuthenticationFailed(message) if code == 0x0100 else message
        errors = {h: cause for h in hosts} or {host or "error": cause}
        if connect:
            return NoHostAvailable("Unable to connect to any servers", errors)
        if fields and "code" in fields:
            # The server's answer that made the driver try the next host (an Unavailable...),
            # as the DataStax driver keeps it: the last host's error.
            last = re.search(r"from (\S+):", message)
            errors[last.group(1) if last else hosts[-1] if hosts else host or "error"] = \
                _server_exception(fields["code"], fields.get("message", message), fields)
            return NoHostAvailable("Unable to complete the operation against any hosts", errors)
        return NoHostAvailable(message, errors)
    if kind == "ServerError" and code >= 0:
        return _server_exception(code, fields.get("message", message) if fields else message,
                                 fields or {})
    if kind == "Timeout":
        return OperationTimedOut(errors={host: message} if host else message, last_host=host)
    if kind == "WrongProcess":
        return ForkError(message + "; open the worker's session after fork: "
                         "postfork.connect_after_fork() in a uWSGI @postfork or Gunicorn "
                         "post_fork hook")
    if kind == "Closed":
        return ConnectionShutdown(message)
    if kind == "InvalidArgument":
        return InvalidRequest(message) if not connect else NoHostAvailable(message, {})
    return DriverException("%s: %s" % (kind, message))


def raise_for(error, host=None, connect=False):
    raise exception_for(error, host, connect)
