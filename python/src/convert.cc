#include "convert.h"

#include <datetime.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace postfork::python {

namespace nb = nanobind;
using cql::CivilFromDays;
using cql::DataType;
using cql::DaysFromCivil;
using cql::TypeKind;
using cql::Value;

PythonTypes& Types() {
  static PythonTypes* types = new PythonTypes();  // never destroyed: outlives the interpreter
  return *types;
}

nb::handle PythonTypes::uuid() {
  if (!uuid_.is_valid()) uuid_ = nb::module_::import_("uuid").attr("UUID");
  return uuid_;
}

nb::handle PythonTypes::decimal() {
  if (!decimal_.is_valid()) decimal_ = nb::module_::import_("decimal").attr("Decimal");
  return decimal_;
}

namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

nb::object Steal(PyObject* o) {
  if (!o) throw nb::python_error();
  return nb::steal(o);
}

// Timestamps become naive UTC datetimes, as the DataStax driver returns them; instants outside
// datetime's years 1..9999 stay integers (milliseconds since the epoch).
nb::object TimestampToPython(int64_t millis) {
  int64_t days = FloorDiv(millis, kMillisPerDay);
  int64_t rest = millis - days * kMillisPerDay;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 1 || y > 9999) return Steal(PyLong_FromLongLong(millis));
  int ms = static_cast<int>(rest % 1000);
  int s = static_cast<int>(rest / 1000);
  return Steal(PyDateTime_FromDateAndTime(static_cast<int>(y), static_cast<int>(m),
                                          static_cast<int>(d), s / 3600, s / 60 % 60, s % 60,
                                          ms * 1000));
}

nb::object ListOf(const cql::ValueList& items, const DataType& element) {
  nb::list out;
  for (const Value& v : items) out.append(ToPython(v, element));
  return out;
}

Status TypeError(const DataType& type, nb::handle o, const char* wanted) {
  std::string got = nb::cast<std::string>(nb::str(o.type().attr("__name__")));
  return Status(StatusCode::kInvalidArgument,
                "a " + type.ToCql() + " value must be " + wanted + ", not " + got);
}

bool IsText(nb::handle o) { return PyUnicode_Check(o.ptr()); }
bool IsBytesLike(nb::handle o) {
  return PyBytes_Check(o.ptr()) || PyByteArray_Check(o.ptr()) || PyMemoryView_Check(o.ptr());
}

Result<int64_t> ToInt64(nb::handle o, const DataType& type) {
  if (!PyLong_Check(o.ptr())) return TypeError(type, o, "an int");
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
  if (overflow != 0)
    return Status(StatusCode::kInvalidArgument, "int out of range for " + type.ToCql());
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  return static_cast<int64_t>(v);
}

Result<Value> IntegerOf(nb::handle o, const DataType& type, int64_t lo, int64_t hi) {
  PF_ASSIGN_OR_RETURN(int64_t v, ToInt64(o, type));
  if (v < lo || v > hi)
    return Status(StatusCode::kInvalidArgument,
                  std::to_string(v) + " is out of range for " + type.ToCql());
  switch (type.kind()) {
    case TypeKind::kTinyint:
      return Value(static_cast<int8_t>(v));
    case TypeKind::kSmallint:
      return Value(static_cast<int16_t>(v));
    case TypeKind::kInt:
      return Value(static_cast<int32_t>(v));
    default:
      return Value(v);
  }
}

std::string StrOf(nb::handle o) { return nb::cast<std::string>(nb::str(o)); }

Result<Value> TimestampFromPython(nb::handle o, const DataType& type) {
  if (PyDateTime_Check(o.ptr())) {
    int64_t days = DaysFromCivil(PyDateTime_GET_YEAR(o.ptr()), PyDateTime_GET_MONTH(o.ptr()),
                                 PyDateTime_GET_DAY(o.ptr()));
    int64_t ms = days * kMillisPerDay + PyDateTime_DATE_GET_HOUR(o.ptr()) * 3'600'000LL +
                 PyDateTime_DATE_GET_MINUTE(o.ptr()) * 60'000LL +
                 PyDateTime_DATE_GET_SECOND(o.ptr()) * 1000LL +
                 PyDateTime_DATE_GET_MICROSECOND(o.ptr()) / 1000;
    nb::object offset = nb::borrow(o).attr("utcoffset")();
    if (!offset.is_none()) {  // aware: convert to UTC; naive datetimes are UTC already
      double seconds = nb::cast<double>(offset.attr("total_seconds")());
      ms -= static_cast<int64_t>(std::llround(seconds * 1000));
    }
    return Value(cql::Timestamp{ms});
  }
  if (PyDate_Check(o.ptr()))
    return Value(
        cql::Timestamp{DaysFromCivil(PyDateTime_GET_YEAR(o.ptr()), PyDateTime_GET_MONTH(o.ptr()),
                                     PyDateTime_GET_DAY(o.ptr())) *
                       kMillisPerDay});
  if (PyLong_Check(o.ptr())) {
    PF_ASSIGN_OR_RETURN(int64_t ms, ToInt64(o, type));
    return Value(cql::Timestamp{ms});
  }
  if (PyFloat_Check(o.ptr())) return Value(cql::Timestamp{std::llround(PyFloat_AsDouble(o.ptr()))});
  if (IsText(o)) {
    auto t = cql::Timestamp::Parse(StrOf(o));
    if (!t.ok()) return t.error();
    return Value(*t);
  }
  return TypeError(type, o, "a datetime, a date or an int (milliseconds since the epoch)");
}

Result<Value> DateFromPython(nb::handle o, const DataType& type) {
  int64_t days;
  if (PyDateTime_Check(o.ptr()) || PyDate_Check(o.ptr())) {
    days = DaysFromCivil(PyDateTime_GET_YEAR(o.ptr()), PyDateTime_GET_MONTH(o.ptr()),
                         PyDateTime_GET_DAY(o.ptr()));
  } else if (nb::hasattr(o, "days_from_epoch")) {
    PF_ASSIGN_OR_RETURN(days, ToInt64(o.attr("days_from_epoch"), type));
  } else if (PyLong_Check(o.ptr())) {
    PF_ASSIGN_OR_RETURN(days, ToInt64(o, type));
  } else if (IsText(o)) {
    auto d = cql::Date::Parse(StrOf(o));
    if (!d.ok()) return d.error();
    return Value(*d);
  } else {
    return TypeError(type, o, "a date, a postfork.util.Date, an int (days) or a str");
  }
  int64_t wire = days + (int64_t{1} << 31);
  if (wire < 0 || wire > int64_t{UINT32_MAX})
    return Status(StatusCode::kInvalidArgument, "date out of range");
  return Value(cql::Date{static_cast<uint32_t>(wire)});
}

Result<Value> TimeFromPython(nb::handle o, const DataType& type) {
  int64_t nanos;
  if (PyTime_Check(o.ptr())) {
    nanos = ((PyDateTime_TIME_GET_HOUR(o.ptr()) * 60LL + PyDateTime_TIME_GET_MINUTE(o.ptr())) * 60 +
             PyDateTime_TIME_GET_SECOND(o.ptr())) *
                1'000'000'000LL +
            PyDateTime_TIME_GET_MICROSECOND(o.ptr()) * 1000LL;
  } else if (nb::hasattr(o, "nanosecond_time")) {
    PF_ASSIGN_OR_RETURN(nanos, ToInt64(o.attr("nanosecond_time"), type));
  } else if (PyLong_Check(o.ptr())) {
    PF_ASSIGN_OR_RETURN(nanos, ToInt64(o, type));
  } else if (IsText(o)) {
    auto t = cql::Time::Parse(StrOf(o));
    if (!t.ok()) return t.error();
    return Value(*t);
  } else {
    return TypeError(type, o, "a time, a postfork.util.Time, an int (nanoseconds) or a str");
  }
  if (nanos < 0 || nanos >= 86'400'000'000'000LL)
    return Status(StatusCode::kInvalidArgument, "time out of range: " + std::to_string(nanos));
  return Value(cql::Time{nanos});
}

Result<Value> SequenceOf(nb::handle o, const DataType& type, const DataType& element) {
  if (IsText(o) || IsBytesLike(o) || PyDict_Check(o.ptr()) || !nb::hasattr(o, "__iter__"))
    return TypeError(type, o, "a list, set, tuple or other iterable");
  cql::ValueList items;
  for (nb::handle item : nb::iter(o)) {
    auto v = FromPython(item, element);
    if (!v.ok()) return v.error();
    items.push_back(std::move(*v));
  }
  return Value(std::move(items));
}

}  // namespace

namespace {
nb::object CellViaCodec(std::string_view bytes, const DataType& type, const std::string& column) {
  auto v = cql::DeserializeValue(bytes, type);
  if (!v.ok()) throw nb::value_error(("column " + column + ": " + v.error().message()).c_str());
  return ToPython(*v, type);
}

// Whether `p[0, n)` is a short run of ASCII bytes: such a string is copied into a new str as
// it is, sparing CPython's general UTF-8 decoder its setup (the common case of short text
// cells). Longer or non-ASCII text takes that decoder. Reads 8, 4, 2 and 1 bytes at a time,
// the last word overlapping the one before.
bool IsShortAscii(const char* p, size_t n) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  if (n >= 8) {
    if (n > 64) return false;
    uint64_t high = 0, w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      high |= w;
    }
    std::memcpy(&w, p + n - 8, 8);
    return ((high | w) & kHigh) == 0;
  }
  uint64_t high = 0;
  if (n & 4) {
    uint32_t w;
    std::memcpy(&w, p + n - 4, 4);
    high |= w;
  }
  if (n & 2) {
    uint16_t w;
    std::memcpy(&w, p + (n & 1), 2);
    high |= w;
  }
  if (n & 1) high |= static_cast<uint8_t>(p[0]);
  return (high & kHigh) == 0;
}

PyObject* AsciiToPython(const char* p, Py_ssize_t n) {
  PyObject* s = PyUnicode_New(n, 127);
  if (s && n) std::memcpy(PyUnicode_1BYTE_DATA(s), p, static_cast<size_t>(n));
  return s;
}

}  // namespace

nb::object CellToPython(std::string_view bytes, const DataType& type, const std::string& column) {
  const char* p = bytes.data();
  const size_t n = bytes.size();
  const auto ssize = static_cast<Py_ssize_t>(n);
  PyObject* fast = nullptr;
  bool tried = true;
  switch (type.kind()) {
    case TypeKind::kText:
      fast =
          IsShortAscii(p, n) ? AsciiToPython(p, ssize) : PyUnicode_DecodeUTF8(p, ssize, "strict");
      break;
    case TypeKind::kAscii:
      fast =
          IsShortAscii(p, n) ? AsciiToPython(p, ssize) : PyUnicode_DecodeASCII(p, ssize, "strict");
      break;
    case TypeKind::kInt:
      if (n != 4) return CellViaCodec(bytes, type, column);
      fast = PyLong_FromLong(static_cast<int32_t>(cql::LoadBE32(p)));
      break;
    case TypeKind::kBigint:
    case TypeKind::kCounter:
      if (n != 8) return CellViaCodec(bytes, type, column);
      fast = PyLong_FromLongLong(static_cast<int64_t>(cql::LoadBE64(p)));
      break;
    case TypeKind::kBlob:
      fast = PyBytes_FromStringAndSize(p, ssize);
      break;
    case TypeKind::kDouble: {
      if (n != 8) return CellViaCodec(bytes, type, column);
      uint64_t u = cql::LoadBE64(p);
      double d;
      std::memcpy(&d, &u, 8);
      fast = PyFloat_FromDouble(d);
      break;
    }
    case TypeKind::kTimestamp:
      if (n != 8) return CellViaCodec(bytes, type, column);
      return TimestampToPython(static_cast<int64_t>(cql::LoadBE64(p)));
    default:
      tried = false;
  }
  if (fast) return nb::steal(fast);
  // A decode error (or any other type): the codec's path, with its message.
  if (tried) PyErr_Clear();
  return CellViaCodec(bytes, type, column);
}

nb::object ToPython(const Value& value, const DataType& type) {
  const auto& v = value.variant();
  switch (v.index()) {
    case 0:  // Null
    case 1:  // Unset
      return nb::none();
    default:
      break;
  }
  if (auto p = value.get_if<bool>()) return nb::bool_(*p);
  if (auto p = value.get_if<int8_t>()) return nb::int_(*p);
  if (auto p = value.get_if<int16_t>()) return nb::int_(*p);
  if (auto p = value.get_if<int32_t>()) return nb::int_(*p);
  if (auto p = value.get_if<int64_t>()) return Steal(PyLong_FromLongLong(*p));
  if (auto p = value.get_if<float>()) return nb::float_(static_cast<double>(*p));
  if (auto p = value.get_if<double>()) return nb::float_(*p);
  if (auto p = value.get_if<std::string>())
    return Steal(PyUnicode_FromStringAndSize(p->data(), static_cast<Py_ssize_t>(p->size())));
  if (auto p = value.get_if<cql::Blob>())
    return Steal(
        PyBytes_FromStringAndSize(p->bytes.data(), static_cast<Py_ssize_t>(p->bytes.size())));
  PythonTypes& t = Types();
  if (auto p = value.get_if<cql::Uuid>())
    return t.uuid()(nb::arg("bytes") = nb::bytes(p->bytes.data(), p->bytes.size()));
  if (auto p = value.get_if<cql::Inet>()) return nb::str(p->ToString().c_str());
  if (auto p = value.get_if<cql::Varint>())
    return Steal(PyLong_FromString(p->ToString().c_str(), nullptr, 10));
  if (auto p = value.get_if<cql::Decimal>()) return t.decimal()(nb::str(p->ToString().c_str()));
  if (auto p = value.get_if<cql::Duration>()) return t.duration(p->months, p->days, p->nanos);
  if (auto p = value.get_if<cql::Date>())
    return t.date(static_cast<int64_t>(p->days) - (int64_t{1} << 31));
  if (auto p = value.get_if<cql::Time>()) return t.time(p->nanos);
  if (auto p = value.get_if<cql::Timestamp>()) return TimestampToPython(p->millis);
  if (auto p = value.get_if<cql::ValueList>()) {
    const auto& params = type.params();
    switch (type.kind()) {
      case TypeKind::kList:
      case TypeKind::kVector:  // the DataStax driver returns vectors as lists
        return ListOf(*p, params.at(0));
      case TypeKind::kSet:
        return t.sorted_set(ListOf(*p, params.at(0)));
      case TypeKind::kTuple: {
        nb::list items;
        for (size_t i = 0; i < p->size(); ++i)
          items.append(i < params.size() ? ToPython((*p)[i], params[i]) : nb::none());
        return nb::tuple(items);
      }
      case TypeKind::kUdt: {
        nb::list names, items;
        for (size_t i = 0; i < params.size(); ++i) {
          names.append(nb::str(type.field_names()[i].c_str()));
          items.append(i < p->size() ? ToPython((*p)[i], params[i]) : nb::none());
        }
        return t.udt(nb::str(type.udt_keyspace().c_str()), nb::str(type.udt_name().c_str()),
                     nb::tuple(names), nb::tuple(items));
      }
      default:
        return ListOf(*p, DataType(TypeKind::kBlob));
    }
  }
  if (auto p = value.get_if<cql::ValueMap>()) {
    const auto& params = type.params();
    nb::list pairs;
    for (const auto& e : *p)
      pairs.append(nb::make_tuple(ToPython(e.key, params.at(0)), ToPython(e.value, params.at(1))));
    return t.ordered_map(pairs);
  }
  return nb::none();
}

Result<Value> FromPython(nb::handle o, const DataType& type) {
  if (o.is_none()) return Value();
  PythonTypes& t = Types();
  if (o.is(t.unset)) return Value(cql::Unset{});
  switch (type.kind()) {
    case TypeKind::kAscii:
    case TypeKind::kText:
      if (!IsText(o)) return TypeError(type, o, "a str");
      return Value(nb::cast<std::string>(o));
    case TypeKind::kBlob:
    case TypeKind::kCustom: {
      if (!IsBytesLike(o)) return TypeError(type, o, "bytes, bytearray or memoryview");
      nb::bytes b(PyBytes_FromObject(o.ptr()));
      if (!b.ptr()) throw nb::python_error();
      b.dec_ref();
      return Value(cql::Blob{std::string(b.c_str(), b.size())});
    }
    case TypeKind::kBoolean:
      if (!PyBool_Check(o.ptr()) && !PyLong_Check(o.ptr())) return TypeError(type, o, "a bool");
      return Value(PyObject_IsTrue(o.ptr()) == 1);
    case TypeKind::kTinyint:
      return IntegerOf(o, type, INT8_MIN, INT8_MAX);
    case TypeKind::kSmallint:
      return IntegerOf(o, type, INT16_MIN, INT16_MAX);
    case TypeKind::kInt:
      return IntegerOf(o, type, INT32_MIN, INT32_MAX);
    case TypeKind::kBigint:
    case TypeKind::kCounter:
      return IntegerOf(o, type, INT64_MIN, INT64_MAX);
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      if (!PyFloat_Check(o.ptr()) && !PyLong_Check(o.ptr()))
        return TypeError(type, o, "a float or an int");
      double d = PyFloat_AsDouble(o.ptr());
      if (d == -1.0 && PyErr_Occurred()) throw nb::python_error();
      if (type.kind() == TypeKind::kFloat) return Value(static_cast<float>(d));
      return Value(d);
    }
    case TypeKind::kVarint: {
      if (!PyLong_Check(o.ptr())) return TypeError(type, o, "an int");
      auto v = cql::Varint::Parse(StrOf(o));
      if (!v.ok()) return v.error();
      return Value(std::move(*v));
    }
    case TypeKind::kDecimal: {
      if (!o.type().is(t.decimal()) && !PyLong_Check(o.ptr()) && !PyFloat_Check(o.ptr()) &&
          !IsText(o))
        return TypeError(type, o, "a Decimal, an int or a float");
      auto v = cql::Decimal::Parse(StrOf(PyFloat_Check(o.ptr()) ? nb::repr(o) : nb::str(o)));
      if (!v.ok()) return v.error();
      return Value(std::move(*v));
    }
    case TypeKind::kUuid:
    case TypeKind::kTimeuuid: {
      cql::Uuid u;
      if (IsText(o)) {
        auto p = cql::Uuid::Parse(StrOf(o));
        if (!p.ok()) return p.error();
        u = *p;
      } else if (nb::hasattr(o, "bytes") && nb::hasattr(o, "hex")) {
        nb::bytes b = nb::cast<nb::bytes>(o.attr("bytes"));
        if (b.size() != 16) return TypeError(type, o, "a uuid.UUID");
        std::memcpy(u.bytes.data(), b.c_str(), 16);
      } else {
        return TypeError(type, o, "a uuid.UUID");
      }
      if (type.kind() == TypeKind::kTimeuuid && u.version() != 1)
        return Status(StatusCode::kInvalidArgument,
                      "a timeuuid value must be a version 1 UUID, not version " +
                          std::to_string(u.version()));
      return Value(u);
    }
    case TypeKind::kInet: {
      if (!IsText(o) && !nb::hasattr(o, "packed"))
        return TypeError(type, o, "a str or an ipaddress");
      auto v = cql::Inet::Parse(StrOf(o));
      if (!v.ok()) return v.error();
      return Value(*v);
    }
    case TypeKind::kTimestamp:
      return TimestampFromPython(o, type);
    case TypeKind::kDate:
      return DateFromPython(o, type);
    case TypeKind::kTime:
      return TimeFromPython(o, type);
    case TypeKind::kDuration: {
      if (!nb::hasattr(o, "months") || !nb::hasattr(o, "nanoseconds"))
        return TypeError(type, o, "a postfork.util.Duration");
      cql::Duration d;
      PF_ASSIGN_OR_RETURN(int64_t months, ToInt64(o.attr("months"), type));
      PF_ASSIGN_OR_RETURN(int64_t days, ToInt64(o.attr("days"), type));
      PF_ASSIGN_OR_RETURN(d.nanos, ToInt64(o.attr("nanoseconds"), type));
      d.months = static_cast<int32_t>(months);
      d.days = static_cast<int32_t>(days);
      return Value(d);
    }
    case TypeKind::kList:
    case TypeKind::kSet:
    case TypeKind::kVector:
      return SequenceOf(o, type, type.params().at(0));
    case TypeKind::kMap: {
      nb::object items;
      if (nb::hasattr(o, "items")) {
        items = nb::borrow(o).attr("items")();
      } else if (!IsText(o) && !IsBytesLike(o) && nb::hasattr(o, "__iter__")) {
        items = nb::borrow(o);  // pairs
      } else {
        return TypeError(type, o, "a dict or other mapping");
      }
      cql::ValueMap entries;
      for (nb::handle pair : nb::iter(items)) {
        nb::tuple kv = nb::tuple(nb::borrow(pair));
        if (kv.size() != 2) return TypeError(type, pair, "a (key, value) pair");
        PF_ASSIGN_OR_RETURN(Value key, FromPython(kv[0], type.params().at(0)));
        PF_ASSIGN_OR_RETURN(Value val, FromPython(kv[1], type.params().at(1)));
        entries.push_back(cql::MapEntry{std::move(key), std::move(val)});
      }
      return Value(std::move(entries));
    }
    case TypeKind::kTuple: {
      if (IsText(o) || IsBytesLike(o) || !PySequence_Check(o.ptr()))
        return TypeError(type, o, "a tuple");
      const auto& params = type.params();
      Py_ssize_t n = PySequence_Size(o.ptr());
      if (n > static_cast<Py_ssize_t>(params.size()))
        return Status(StatusCode::kInvalidArgument, "a " + type.ToCql() + " value has " +
                                                        std::to_string(params.size()) +
                                                        " components, not " + std::to_string(n));
      cql::ValueList items;
      for (Py_ssize_t i = 0; i < n; ++i) {
        nb::object item = Steal(PySequence_GetItem(o.ptr(), i));
        PF_ASSIGN_OR_RETURN(Value v, FromPython(item, params[static_cast<size_t>(i)]));
        items.push_back(std::move(v));
      }
      return Value(std::move(items));
    }
    case TypeKind::kUdt: {
      const auto& params = type.params();
      const auto& names = type.field_names();
      bool mapping = PyDict_Check(o.ptr());
      cql::ValueList fields;
      for (size_t i = 0; i < params.size(); ++i) {
        nb::object field;
        if (mapping) {
          PyObject* f = PyDict_GetItemString(o.ptr(), names[i].c_str());
          field = f ? nb::borrow(f) : nb::none();
        } else {
          field = nb::getattr(o, names[i].c_str(), nb::none());
        }
        PF_ASSIGN_OR_RETURN(Value v, FromPython(field, params[i]));
        fields.push_back(std::move(v));
      }
      return Value(std::move(fields));
    }
  }
  return TypeError(type, o, "a supported value");
}

void ImportDateTime() { PyDateTime_IMPORT; }

}  // namespace postfork::python
