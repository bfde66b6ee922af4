#include "apps/kite_emulator/answers.h"

#include "adapters/zerodha/kite_errors.h"
#include "adapters/zerodha/kite_json.h"

namespace nacre::kite_emu {

net::HttpResponse KiteAnswer(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

net::HttpResponse KiteSuccess(const nlohmann::json& data) {
  return KiteAnswer(200, KiteSuccessBody(data));
}

net::HttpResponse KiteFailure(int status, std::string_view error_type, std::string_view message) {
  return KiteAnswer(status, KiteErrorBody(error_type, message));
}

net::HttpResponse KiteInputError(std::string_view message) {
  return KiteFailure(400, "InputException", message);
}

std::string FormField(const std::map<std::string, std::string>& form, const char* key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

nlohmann::json KiteMoneyJson(const Money& m) { return KitePriceJson(Price::Raw(m.raw(), 2)); }

}  // namespace nacre::kite_emu
