import Foundation

/// Which store the daemon and the CLI use: the embedded SQLite file in the
/// data directory (the default), or a PostgreSQL database that several
/// nodes share (`store = "postgres://…"`, the password from
/// `store_password_file`).
public enum StoreSettings: Sendable, Equatable {
  case sqlite
  case postgres(url: String, password: String?)
}

extension ConfigurationReader {
  /// `store`, `store_password` / `store_password_file` and `store_plaintext`
  /// at the top level.
  ///
  /// A PostgreSQL URL may not hold a password (in its user part or as
  /// `?password=`): it would be in every copy of the configuration and in
  /// logs. A server that is not on this machine must be reached with TLS
  /// (`sslmode=require`, `verify-ca` or `verify-full`), as the API must be
  /// served with it: the store holds names, addresses and every message.
  /// `store_plaintext = true` allows otherwise, for a link that is protected
  /// another way (a TLS tunnel, a private network the municipality vouches for).
  func readStore(_ root: inout ConfigTable) -> StoreSettings {
    let password = secret(&root, "store_password")
    let plaintext = root.bool("store_plaintext")
    guard let text = root.string("store"), text != "sqlite" else {
      if password != nil {
        root.fail("store_password", "is for a PostgreSQL store; store is SQLite here")
      }
      if plaintext != nil {
        root.fail("store_plaintext", "is for a PostgreSQL store; store is SQLite here")
      }
      return .sqlite
    }
    // libpq reads the URL itself (several hosts, `?target_session_attrs=…`);
    // only its scheme, that it holds no password, and TLS are checked here.
    guard let url = PostgresURL(text) else {
      root.fail(
        "store",
        "expected \"sqlite\" or a PostgreSQL URL such as \"postgres://commsd@db.example:5432/commsd?sslmode=verify-full\"; found \"\(PostgresURL.redacted(text))\""
      )
      return .sqlite
    }
    if url.hasPassword {
      root.fail(
        "store",
        "holds a password: put it in a file of its own and name it in store_password_file (it was \(url.passwordPlace))"
      )
      return .sqlite
    }
    if !url.isLocal && !url.requiresTLS && plaintext != true {
      root.fail(
        "store",
        "\(url.remoteHosts.joined(separator: ", ")) is reachable over the network: add sslmode=verify-full (or require, verify-ca) to the URL, or set store_plaintext = true if an unencrypted connection is intended (e.g. through a TLS tunnel)"
      )
      return .sqlite
    }
    return .postgres(url: text, password: password)
  }
}

/// What commsd checks of a libpq connection URL
/// (`postgres[ql]://[user[:password]@][host[:port][,…]][/database][?key=value&…]`)
/// before handing it to libpq unchanged.
struct PostgresURL: Equatable {
  /// The hosts named in the authority, or by `host=` / `hostaddr=` in the
  /// query (which libpq lets override it); empty for libpq's default, the
  /// local Unix socket.
  var hosts: [String]
  /// The query's parameters, names and values percent-decoded as libpq does;
  /// a later repetition wins.
  var parameters: [String: String]
  /// Whether the user part holds a password (`user:password@`).
  var userInfoPassword: Bool

  init?(_ text: String) {
    guard let scheme = text.range(of: "://"),
      ["postgres", "postgresql"].contains(text[..<scheme.lowerBound]),
      text[scheme.upperBound...].contains(where: { $0 != "/" })
    else { return nil }
    let rest = text[scheme.upperBound...]
    let authority = rest.prefix { $0 != "/" && $0 != "?" }
    var hostPart = authority[...]
    userInfoPassword = false
    if let at = authority.lastIndex(of: "@") {
      userInfoPassword = authority[..<at].contains(":")
      hostPart = authority[authority.index(after: at)...]
    }
    parameters = [:]
    if let question = rest.firstIndex(of: "?") {
      for pair in rest[rest.index(after: question)...].split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let value = parts.count > 1 ? String(parts[1]) : ""
        parameters[name.lowercased()] = value.removingPercentEncoding ?? value
      }
    }
    hosts = hostPart.split(separator: ",").map { Self.host(of: String($0)) }.filter {
      !$0.isEmpty
    }
    for name in ["host", "hostaddr"] {
      if let given = parameters[name] {
        hosts = given.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
      }
    }
  }

  /// `host` without its port; an IPv6 address without its brackets.
  private static func host(of hostAndPort: String) -> String {
    let decoded = hostAndPort.removingPercentEncoding ?? hostAndPort
    if decoded.hasPrefix("["), let close = decoded.firstIndex(of: "]") {
      return String(decoded[decoded.index(after: decoded.startIndex)..<close])
    }
    return String(decoded.prefix { $0 != ":" })
  }

  var hasPassword: Bool { userInfoPassword || parameters["password"] != nil }

  /// Where the password was written, for the refusal (never the password).
  var passwordPlace: String {
    userInfoPassword ? "after the user name" : "in the query's password= parameter"
  }

  /// Hosts that are neither this machine's loopback nor a Unix socket.
  var remoteHosts: [String] {
    hosts.filter { !($0.hasPrefix("/") || $0.hasPrefix("@") || APISettings.isLoopback($0)) }
  }

  /// Whether every host is on this machine (or libpq's default Unix socket).
  var isLocal: Bool { remoteHosts.isEmpty }

  /// Whether libpq will refuse a connection without TLS.
  var requiresTLS: Bool {
    ["require", "verify-ca", "verify-full"].contains(parameters["sslmode"]?.lowercased() ?? "")
  }

  /// `url` fit for a log or an error: a password in the user part or in a
  /// `password=` parameter (however its name is spelt or encoded) replaced
  /// by `***`. Works on text that is not a valid URL too.
  static func redacted(_ url: String) -> String {
    var text = url
    if let scheme = text.range(of: "://") {
      let rest = text[scheme.upperBound...]
      let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
      if let at = rest[..<authorityEnd].lastIndex(of: "@"),
        let colon = rest[..<at].firstIndex(of: ":")
      {
        text.replaceSubrange(text.index(after: colon)..<at, with: "***")
      }
    }
    guard let question = text.firstIndex(of: "?") else { return text }
    let pairs = text[text.index(after: question)...].split(
      separator: "&", omittingEmptySubsequences: false
    ).map { pair -> String in
      let name = pair.prefix { $0 != "=" }
      guard (String(name).removingPercentEncoding ?? String(name)).lowercased() == "password"
      else { return String(pair) }
      return name + "=***"
    }
    return text[...question] + pairs.joined(separator: "&")
  }
}
