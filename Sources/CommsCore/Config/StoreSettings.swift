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
  /// `store` and `store_password` / `store_password_file` at the top level.
  func readStore(_ root: inout ConfigTable) -> StoreSettings {
    let password = secret(&root, "store_password")
    guard let text = root.string("store"), text != "sqlite" else {
      if password != nil {
        root.fail("store_password", "is for a PostgreSQL store; store is SQLite here")
      }
      return .sqlite
    }
    // libpq reads the URL itself (several hosts, `?target_session_attrs=…`);
    // only its scheme and that it holds no password are checked here.
    guard let scheme = text.range(of: "://"),
      ["postgres", "postgresql"].contains(text[..<scheme.lowerBound]),
      text[scheme.upperBound...].contains(where: { $0 != "/" })
    else {
      root.fail(
        "store",
        "expected \"sqlite\" or a PostgreSQL URL such as \"postgres://commsd@db.example:5432/commsd\"; found \"\(text)\""
      )
      return .sqlite
    }
    let authority = text[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
    if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
      root.fail(
        "store", "holds a password: put it in a file of its own and name it in store_password_file")
      return .sqlite
    }
    return .postgres(url: text, password: password)
  }
}
