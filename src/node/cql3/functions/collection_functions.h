// Cassandra 5.0's collection functions (map_keys, map_values, collection_count, collection_min,
// collection_max, collection_sum, collection_avg) and dynamic data masking functions (mask_null,
// mask_default, mask_replace, mask_inner, mask_outer, mask_hash): native functions over any type
// whose result type follows the argument's (Cassandra's function factories), with its messages
// for arguments they do not take.
#pragma once

#include <vector>

#include "node/cql3/functions/functions.h"

namespace postfork::node::cql3 {

// Append the functions to `out` (the registry's constructor calls them).
void AddCollectionFunctions(std::vector<NativeFunction>* out);
void AddMaskingFunctions(std::vector<NativeFunction>* out);

}  // namespace postfork::node::cql3
