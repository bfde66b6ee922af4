// Kite's answers as the emulator sends them (KITE_CONNECT.md §2), shared by its REST routes,
// order side and control plane: the JSON envelope (kite_errors.h) always with Content-Type
// application/json, and the form fields requests carry.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/money.h"
#include "net/http.h"

namespace nacre::kite_emu {

// `body` as an application/json answer with `status`.
net::HttpResponse KiteAnswer(int status, std::string body);
// {"status":"success","data":…}, 200.
net::HttpResponse KiteSuccess(const nlohmann::json& data);
// {"status":"error","error_type":…,"message":…,"data":null} with `status`.
net::HttpResponse KiteFailure(int status, std::string_view error_type, std::string_view message);
// 400 InputException.
net::HttpResponse KiteInputError(std::string_view message);
// The value of form or query field `key`, or "".
std::string FormField(const std::map<std::string, std::string>& form, const char* key);
// Rupees at two decimals as Kite writes them (an integer when whole).
nlohmann::json KiteMoneyJson(const Money& m);

}  // namespace nacre::kite_emu
