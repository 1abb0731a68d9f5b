// The pepper mixed into key hashes when the config sets none. The built-in default is public,
// so a leaked database alone would let anyone test guesses at keys offline. A new SQLite
// database therefore gets a random pepper in a file beside it, DB.pepper, created 0600 before
// the database; later starts read it back. A database that existed before that file (keys
// already hashed with the default) keeps the default, and so does a PostgreSQL store, where
// every gateway sharing the database must use the same pepper and only the config can say
// which: for both a warning says to set key_pepper (and that it changes every key's hash).
// Keys carry 192 random bits, so even the public default does not make a stored hash
// guessable; the pepper protects keys an operator may have chosen weak.
#pragma once

#include <string>

#include "gateway/config.h"

namespace junction::gateway {

// The pepper `config` should use, and in `warning` (empty if none) what to tell the operator.
// May create DB.pepper. Throws junction::Error if that file cannot be read or written, or is
// readable by others.
std::string resolve_key_pepper(const GatewayConfig& config, std::string& warning);

}  // namespace junction::gateway
