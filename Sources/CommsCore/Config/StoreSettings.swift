import Foundation

/// Which store the daemon and the CLI use: the embedded SQLite file in the
/// data directory (the default), or a PostgreSQL database that several
/// nodes share (`store = "postgres://…"`, the password from
/// `store_password_file`).
public enum StoreSettings: Sendable, Equatable {
  case sqlite
  case postgres(url: String, password: String?)

  /// Whether this is a shared PostgreSQL store.
  public var isPostgres: Bool {
    if case .postgres = self { true } else { false }
  }
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
    guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
      let url = URLComponents(string: text), url.host?.isEmpty == false
    else {
      root.fail(
        "store",
        "expected \"sqlite\" or a PostgreSQL URL such as \"postgres://commsd@db.example:5432/commsd\"; found \"\(text)\""
      )
      return .sqlite
    }
    if url.password != nil {
      root.fail(
        "store", "holds a password: put it in a file of its own and name it in store_password_file")
      return .sqlite
    }
    return .postgres(url: text, password: password)
  }
}
