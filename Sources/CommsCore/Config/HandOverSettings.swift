import Foundation

/// What a CLI command needs to hand a request to the running daemon: where
/// the daemon's sockets and store are, the default language, and `[cap]`.
///
/// Read from the configuration file alone, without its recipient lists,
/// secret files or audience templates: the daemon validates every request
/// against its own configuration, so `commsd send` need not read 100,000
/// recipients (or a secret only the daemon's user may read) to hand one over.
/// Only when no daemon runs does the CLI load the whole configuration
/// (`ConfigurationLoader.load`) and write the store itself.
public struct HandOverSettings: Sendable {
  /// The configuration file, as given.
  public var file: String
  /// Where the store and the daemon's sockets live; absolute.
  public var dataDirectory: String
  public var defaultLanguage: String
  /// Which store (SQLite or PostgreSQL), for commands that write it directly.
  public var store: StoreSettings
  /// How CAP alerts map to audiences (`[cap]`).
  public var cap: CAPSettings
  /// Who may do what (`[[operators]]`), for the commands that write the
  /// store directly (cancel, inbox, audit, dead retry, confirm).
  public var operators = OperatorPolicy()
  /// The message templates' folder, and the audiences' names a template's
  /// audiences are checked against.
  public var templateFolder = ""
  public var audienceNames: Set<String> = []

  /// The templates, as this configuration places them.
  public var templates: TemplateLibrary {
    TemplateLibrary(
      folder: templateFolder, defaultLanguage: defaultLanguage, audiences: audienceNames)
  }

  /// The settings of a configuration already loaded in full.
  public init(_ configuration: Configuration) {
    self.init(
      file: configuration.file, dataDirectory: configuration.dataDirectory,
      defaultLanguage: configuration.defaultLanguage, store: configuration.store,
      cap: configuration.cap)
    operators = configuration.operators
    templateFolder = configuration.templateFolder
    audienceNames = Set(configuration.audiences.keys)
  }

  init(
    file: String, dataDirectory: String, defaultLanguage: String, store: StoreSettings,
    cap: CAPSettings
  ) {
    self.file = file
    self.dataDirectory = dataDirectory
    self.defaultLanguage = defaultLanguage
    self.store = store
    self.cap = cap
  }

  /// The stream socket the daemon takes requests on (as `Configuration.intakeSocketPath`).
  public var intakeSocketPath: String {
    (dataDirectory as NSString).appendingPathComponent("commsd.sock")
  }
  /// The datagram socket that wakes the daemon (as `Configuration.wakeSocketPath`).
  public var wakeSocketPath: String {
    (dataDirectory as NSString).appendingPathComponent("commsd.wake")
  }
  /// The SQLite store's path (as `Configuration.storePath`).
  public var sqlitePath: String {
    (dataDirectory as NSString).appendingPathComponent(Configuration.storeFileName)
  }
}

extension ConfigurationLoader {
  /// The hand-over settings of the file at `path`. A file that cannot be
  /// read or parsed, or whose `data_dir`, `default_language`, `store` or
  /// `[cap]` is wrong, throws the same file:line:key errors as `load`;
  /// the other sections and the recipient lists are not looked at.
  public static func handOver(path: String) throws(ConfigErrors) -> HandOverSettings {
    let root = try mainTable(path: path)
    let sink = ConfigErrorSink()
    var table = ConfigTable(root, path: "", file: path, sink: sink)
    let reader = ConfigurationReader(
      file: path, base: URL(fileURLWithPath: path).deletingLastPathComponent(), sink: sink)
    let dataDirectory = reader.dataDirectory(&table)
    let store = reader.readStore(&table)
    let defaultLanguage = table.string("default_language") ?? "da"
    // `[cap]` names audiences; their names are the keys under [audiences].
    let audienceNames = Set(
      table.table["audiences"].flatMap { node -> [String]? in
        if case .table(let audiences) = node.value { return audiences.keys }
        return nil
      } ?? [])
    let cap = reader.readCAP(table.table("cap"), audiences: audienceNames)
    let operators = reader.readOperators(table.tables("operators"), audiences: audienceNames)
    if !sink.errors.isEmpty {
      throw ConfigErrors(errors: sink.errors.sorted { ($0.file, $0.line) < ($1.file, $1.line) })
    }
    var settings = HandOverSettings(
      file: path, dataDirectory: dataDirectory, defaultLanguage: defaultLanguage, store: store,
      cap: cap)
    settings.operators = operators
    settings.templateFolder = reader.templateFolder(&table)
    settings.audienceNames = audienceNames
    return settings
  }
}
