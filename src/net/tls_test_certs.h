// Test helper: throwaway certificates made by the openssl command in a private temporary
// directory (removed with the object): self-signed CAs and server certificates for a host
// name signed by one of them, for tests of TLS clients and servers over 127.0.0.1.
// Header-only, for tests of the net module and its users; `available()` is false (say so and
// skip) when the openssl command is missing.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace nacre::net {

class TlsTestCerts {
 public:
  explicit TlsTestCerts(const std::string& label) {
    dir_ = std::filesystem::temp_directory_path() /
           ("nacre_tls_" + std::to_string(::getpid()) + "_" + label);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TlsTestCerts() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TlsTestCerts(const TlsTestCerts&) = delete;
  TlsTestCerts& operator=(const TlsTestCerts&) = delete;

  static bool available() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

  // A file of the directory (it need not exist).
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // A self-signed CA: `name`.pem (the certificate, for a client's ca_file) and `name`.key.
  // False when openssl failed.
  bool MakeCa(const std::string& name) const {
    return Run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 1 -subj '/CN=Nacre test CA " +
        name + "' -keyout '" + Path(name + ".key") + "' -out '" + Path(name + ".pem") + "'");
  }
  // A server certificate for `host` (CN and subjectAltName: an IP address entry when `host` is
  // one, else a DNS name) signed by CA `ca`: `out`.pem and `out`.key.
  bool MakeServer(const std::string& host, const std::string& ca,
                  const std::string& out = "server") const {
    const std::string san = (IsIpv4(host) ? "IP:" : "DNS:") + host;
    return Run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 1 -subj /CN=" +
        host + " -addext subjectAltName=" + san +
        " -addext basicConstraints=critical,CA:FALSE -CA '" + Path(ca + ".pem") + "' -CAkey '" +
        Path(ca + ".key") + "' -keyout '" + Path(out + ".key") + "' -out '" + Path(out + ".pem") +
        "'");
  }

 private:
  static bool IsIpv4(const std::string& host) {
    return !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  }
  static bool Run(const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
  }
  std::filesystem::path dir_;
};

}  // namespace nacre::net
