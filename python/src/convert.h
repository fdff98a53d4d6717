// Value conversions between Python objects and the codec's cql::Value, typed by the column or
// bind marker's DataType. The Python types are those the DataStax driver uses (int, str, bytes,
// float, bool, uuid.UUID, decimal.Decimal, naive-UTC datetime.datetime, and postfork.util's
// Date, Time, Duration, SortedSet, OrderedMapSerializedKey and UDT named tuples). Every function
// here needs the GIL.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::python {

// The Python classes conversions build, handed over once by postfork/__init__.py.
// uuid.UUID and decimal.Decimal are imported on first use: a worker that never meets such a
// value does not load the modules (web.py's debug reloader stats every loaded module's file on
// every request).
struct PythonTypes {
  nanobind::handle uuid();     // uuid.UUID
  nanobind::handle decimal();  // decimal.Decimal
  nanobind::object date;         // postfork.util.Date(days_from_epoch)
  nanobind::object time;         // postfork.util.Time(nanoseconds)
  nanobind::object duration;     // postfork.util.Duration(months, days, nanoseconds)
  nanobind::object sorted_set;   // postfork.util.SortedSet(iterable)
  nanobind::object ordered_map;  // postfork.util.OrderedMapSerializedKey(pairs)
  nanobind::object udt;          // postfork.util.make_udt(keyspace, name, fields, values)
  nanobind::object unset;        // postfork.query.UNSET_VALUE
  bool ready = false;

 private:
  nanobind::object uuid_, decimal_;
};
PythonTypes& Types();
// Loads the datetime C API; once, at module import.
void ImportDateTime();

// A cell of `type` as a Python object (None for null).
nanobind::object ToPython(const cql::Value& value, const cql::DataType& type);
// A cell's serialized bytes (not null) as ToPython(DeserializeValue(bytes, type), type) would
// return it, built straight from the bytes for the scalar types rows mostly hold. Malformed
// bytes raise ValueError naming `column` and the codec's reason.
nanobind::object CellToPython(std::string_view bytes, const cql::DataType& type,
                              const std::string& column);
// A Python object as a value of `type`; kInvalidArgument naming the expected Python types.
Result<cql::Value> FromPython(nanobind::handle object, const cql::DataType& type);

}  // namespace postfork::python
