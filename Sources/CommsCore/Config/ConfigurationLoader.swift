import Crypto
import Foundation

/// Reads and validates a configuration file. Every problem is reported with
/// file, line and key; nothing is half-loaded.
public enum ConfigurationLoader {
  /// Loads `path`. Relative paths inside it resolve against its folder.
  public static func load(path: String) throws(ConfigErrors) -> Configuration {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ConfigErrors(errors: [
        ConfigError(
          file: path, line: 0, key: "",
          message: "cannot read the configuration file: \(error.localizedDescription)")
      ])
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigErrors(errors: [
        ConfigError(file: path, line: 0, key: "", message: "the file is not valid UTF-8")
      ])
    }
    let hash = LowerHex.string(SHA256.hash(data: data))
    return try parse(text, file: path, hash: hash)
  }

  /// Only where the store is, for commands that read it (`commsd status`):
  /// they must work while someone fixes a broken recipient list.
  public static func storePath(configurationPath path: String) throws(ConfigErrors) -> String {
    try storeLocation(configurationPath: path).sqlitePath
  }

  /// Which store the configuration names (`store`, `store_password_file`)
  /// and where the SQLite file would be, read without the rest of it.
  public static func storeLocation(configurationPath path: String) throws(ConfigErrors)
    -> (settings: StoreSettings, sqlitePath: String)
  {
    let root = try mainTable(path: path)
    let sink = ConfigErrorSink()
    var table = ConfigTable(root, path: "", file: path, sink: sink)
    let reader = ConfigurationReader(
      file: path, base: URL(fileURLWithPath: path).deletingLastPathComponent(), sink: sink)
    let directory = reader.dataDirectory(&table)
    let settings = reader.readStore(&table)
    if !sink.errors.isEmpty { throw ConfigErrors(errors: sink.errors) }
    return (settings, (directory as NSString).appendingPathComponent(Configuration.storeFileName))
  }

  /// Each endpoint's format by name (`gatewayapi`, `teams-workflows`, …;
  /// `commsd` when none is given), for `commsd status` to say what a
  /// webhook delivery went out as. A light read: empty when the file cannot
  /// be read (status still shows the deliveries).
  public static func endpointFormats(configurationPath path: String) -> [String: String] {
    guard let root = try? mainTable(path: path) else { return [:] }
    var table = ConfigTable(root, path: "", file: path, sink: ConfigErrorSink())
    guard var endpoints = table.table("endpoints") else { return [:] }
    var formats: [String: String] = [:]
    for name in endpoints.keys {
      guard var endpoint = endpoints.table(name) else { continue }
      formats[name] = endpoint.string("format") ?? EndpointFormat.commsd.name
    }
    return formats
  }

  /// The configuration file's own TOML, without the recipient lists it
  /// names: for the light reads (`storeLocation`, `handOver`).
  static func mainTable(path: String) throws(ConfigErrors) -> TOMLTable {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigErrors(errors: [
        ConfigError(file: path, line: 0, key: "", message: "cannot read the configuration file")
      ])
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigErrors(errors: [
        ConfigError(file: path, line: 0, key: "", message: "the file is not valid UTF-8")
      ])
    }
    return try table(text, file: path)
  }

  /// The TOML document in `text`, or its syntax error as `file:line`.
  static func table(_ text: String, file: String) throws(ConfigErrors) -> TOMLTable {
    do {
      return try TOMLParser.parse(text, file: file)
    } catch {
      throw ConfigErrors(errors: [
        ConfigError(file: file, line: error.line, key: "", message: error.message)
      ])
    }
  }

  /// Parses configuration text; `file` names it in errors and anchors relative paths.
  public static func parse(_ text: String, file: String, hash: String = "") throws(ConfigErrors)
    -> Configuration
  {
    let root = try table(text, file: file)
    let sink = ConfigErrorSink()
    let base = URL(fileURLWithPath: file).deletingLastPathComponent()
    var reader = ConfigurationReader(file: file, base: base, sink: sink)
    let configuration = reader.read(ConfigTable(root, path: "", file: file, sink: sink), hash: hash)
    if !sink.errors.isEmpty {
      throw ConfigErrors(errors: sink.errors.sorted { ($0.file, $0.line) < ($1.file, $1.line) })
    }
    return configuration
  }
}

/// Turns the TOML tree into a `Configuration`, collecting errors in `sink`.
struct ConfigurationReader {
  let file: String
  let base: URL
  let sink: ConfigErrorSink

  func resolve(_ path: String) -> String {
    path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
  }

  /// A secret given inline as `NAME`, or read from the file named by `NAME_file`.
  func secret(_ table: inout ConfigTable, _ name: String) -> String? {
    let inline = table.string(name)
    let fileName = table.string("\(name)_file")
    if inline != nil, fileName != nil {
      table.fail(name, "give either \(name) or \(name)_file, not both")
      return nil
    }
    guard let fileName else { return inline }
    let path = resolve(fileName)
    guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
      table.fail("\(name)_file", "cannot read the secret file \(path)")
      return nil
    }
    return contents.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// `data_dir`, resolved against the configuration's folder.
  func dataDirectory(_ root: inout ConfigTable) -> String {
    resolve(root.string("data_dir") ?? "/var/lib/commsd")
  }

  mutating func read(_ root: ConfigTable, hash: String) -> Configuration {
    var root = root
    let dataDirectory = dataDirectory(&root)
    let store = readStore(&root)
    let domain = root.string("message_id_domain") ?? "commsd.invalid"
    let defaultLanguage = root.string("default_language") ?? "da"
    var logLevel = "info"
    if var log = root.table("log") {
      if let level = log.string("level") {
        if ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) {
          logLevel = level
        } else {
          log.fail(
            "level",
            "expected one of trace, debug, info, notice, warning, error, critical; found \"\(level)\""
          )
        }
      }
      log.rejectUnknownKeys()
    }
    let dispatch = readDispatch(root.table("dispatch"))
    let retry = readRetry(root.table("retry"))
    let relays = readNamed(root.table("relays"), readRelay)
    let endpoints = readNamed(root.table("endpoints"), readEndpoint)
    var defaultRelay: String? = relays.count == 1 ? relays.keys.first : nil
    if let name = root.string("default_relay") {
      if relays[name] == nil {
        root.fail("default_relay", "no relay named \"\(name)\" is configured under [relays]")
      } else {
        defaultRelay = name
      }
    } else if relays.count > 1 {
      root.fail("default_relay", "several relays are configured; name the one email goes through")
    }
    let audiences = readNamed(root.table("audiences")) {
      readAudience($0, name: $1, endpoints: endpoints)
    }
    // Names as written, valid or not: a recipient of an audience whose
    // template has an error is not reported a second time.
    let audienceNames = Set(
      root.table["audiences"].flatMap { node -> [String]? in
        if case .table(let table) = node.value { return table.keys }
        return nil
      } ?? [])
    var recipients: [Recipient] = []
    // Where each id was first defined ("file:line"), across inline and lists.
    var seen: [String: String] = [:]
    let noRelay = root.table["relays"] == nil
    if let tables = root.tables("recipients") {
      for table in tables {
        guard let recipient = readRecipient(table, audiences: audienceNames, endpoints: endpoints)
        else { continue }
        let line = table.table["id"]?.line ?? table.table.line
        if let first = seen[recipient.id] {
          table.fail("id", "duplicate recipient id \"\(recipient.id)\" (first defined at \(first))")
          continue
        }
        seen[recipient.id] = "\(file):\(line)"
        // Only when no relay is written at all: a relay with errors is reported by itself.
        if noRelay, recipient.contacts.contains(where: { $0.channel == .email }) {
          table.fail("contacts", "has an email contact but no relay is configured under [relays]")
        }
        recipients.append(recipient)
      }
    }
    var listFiles: [String] = []
    if let names = root.strings("recipient_lists") {
      for (name, line) in names {
        let path = resolve(name)
        listFiles.append(path)
        guard FileManager.default.isReadableFile(atPath: path) else {
          root.fail("recipient_lists", "cannot read the recipient list \(path)", line: line)
          continue
        }
        let list = RecipientListReader.readList(
          path: path, audiences: audienceNames, endpoints: ContactEndpoints(endpoints))
        for error in list.errors { sink.add(error) }
        for entry in list.entries {
          let recipient = entry.recipient
          if let first = seen[recipient.id] {
            sink.add(
              ConfigError(
                file: path, line: entry.line, key: "id",
                message: "duplicate recipient id \"\(recipient.id)\" (first defined at \(first))"))
            continue
          }
          seen[recipient.id] = "\(path):\(entry.line)"
          if noRelay, recipient.contacts.contains(where: { $0.channel == .email }) {
            sink.add(
              ConfigError(
                file: path, line: entry.line, key: "contacts",
                message: "has an email contact but no relay is configured under [relays]"))
          }
          recipients.append(recipient)
        }
      }
    }
    let cap = readCAP(root.table("cap"), audiences: audienceNames)
    let retention = readRetention(root.table("retention"), dataDirectory: dataDirectory)
    let confirm = readConfirm(root.table("confirm"), dataDirectory: dataDirectory)
    checkApprovers(audiences, seen: seen, confirm: confirm)
    let inbound = readInbound(root.table("inbound"), endpoints: endpoints)
    let operators = readOperators(root.tables("operators"), audiences: audienceNames)
    let api = readAPI(root.table("api"), hooks: root.table("hooks"), audiences: audienceNames)
    let console = readConsole(root.table("console"), api: api)
    let templates = templateFolder(&root)
    root.rejectUnknownKeys()
    var configuration = Configuration(
      file: file, hash: hash, dataDirectory: dataDirectory, messageIDDomain: domain,
      defaultLanguage: defaultLanguage, logLevel: logLevel, dispatch: dispatch, retry: retry,
      relays: relays, defaultRelay: defaultRelay, endpoints: endpoints, audiences: audiences,
      recipients: recipients, recipientLists: listFiles, cap: cap, retention: retention,
      api: api, store: store, confirm: confirm, inbound: inbound, operators: operators)
    configuration.templateFolder = templates
    configuration.console = console
    return configuration
  }

  /// `templates`: the folder of message templates; `templates/` next to
  /// the configuration file when not set.
  func templateFolder(_ root: inout ConfigTable) -> String {
    resolve(root.string("templates") ?? "templates")
  }

  func readNamed<T>(_ table: ConfigTable?, _ read: (ConfigTable, String) -> T?) -> [String: T] {
    guard var table else { return [:] }
    var result: [String: T] = [:]
    for name in table.keys {
      guard let child = table.table(name) else { continue }
      if !ConfigurationReader.isValidName(name) {
        table.fail(name, "names may use only a-z, 0-9, '-' and '_' and start with a letter")
        continue
      }
      if let value = read(child, name) { result[name] = value }
    }
    return result
  }

  static func isValidName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
    }
  }

  /// `rate`, `burst`, `breaker_failures`, `breaker_open`, `max_pause` of an endpoint or relay.
  func readGate(_ table: inout ConfigTable) -> TargetGate.Settings {
    var settings = TargetGate.Settings()
    settings.rate = table.number("rate", in: 0.01...1_000_000)
    settings.burst = table.integer("burst", in: 1...100_000) ?? max(1, Int(settings.rate ?? 1))
    if let failures = table.integer("breaker_failures", in: 1...1000) {
      settings.breakerFailures = failures
    }
    if let open = table.duration("breaker_open", in: .seconds(1)...(.seconds(86_400))) {
      settings.breakerOpenFor = open
    }
    if let pause = table.duration("max_pause", in: .zero...(.seconds(86_400))) {
      settings.maxPause = pause
    }
    return settings
  }

  func readDispatch(_ table: ConfigTable?) -> DispatchSettings {
    var settings = DispatchSettings()
    guard var table else { return settings }
    if let value = table.integer("max_in_flight", in: 1...4096) { settings.maxInFlight = value }
    if let value = table.duration("poll_interval", in: .milliseconds(1)...(.seconds(3600))) {
      settings.pollInterval = value
    }
    if let value = table.duration("lease", in: .seconds(1)...(.seconds(86_400))) {
      settings.leaseDuration = value
    }
    if let value = table.integer("record_batch", in: 1...10_000) { settings.recordBatch = value }
    if let value = table.duration("stop_timeout", in: .zero...(.seconds(3600))) {
      settings.stopTimeout = value
    }
    table.rejectUnknownKeys()
    return settings
  }

  func readRetry(_ table: ConfigTable?) -> RetryPolicy {
    var policy = RetryPolicy()
    guard var table else { return policy }
    if let value = table.duration("first_delay", in: .zero...(.seconds(86_400))) {
      policy.firstDelay = value
    }
    if let value = table.number("factor", in: 1...10) { policy.factor = value }
    if let value = table.duration("max_delay", in: .seconds(1)...(.seconds(30 * 86_400))) {
      policy.maxDelay = value
    }
    if let value = table.duration("give_up_after", in: .seconds(1)...(.seconds(366 * 86_400))) {
      policy.giveUpAfter = value
    }
    if let value = table.number("jitter", in: 0...1) { policy.jitter = value }
    table.rejectUnknownKeys()
    return policy
  }

  func readRelay(_ table: ConfigTable, name: String) -> Relay? {
    var table = table
    let url = table.string("url", required: true)
    let fromText = table.string("from", required: true)
    var tls = SMTPTLSMode.starttls
    if let text = table.string("tls") {
      if let mode = SMTPTLSMode(rawValue: text) {
        tls = mode
      } else {
        table.fail("tls", "expected \"starttls\", \"tls\" or \"none\", found \"\(text)\"")
      }
    }
    let username = table.string("username")
    let password = secret(&table, "password")
    let concurrency = table.integer("concurrency", in: 1...256) ?? 4
    let timeout = table.duration("timeout", in: .seconds(1)...(.seconds(3600))) ?? .seconds(30)
    let verifyTLS = table.bool("verify_tls") ?? true
    let gate = readGate(&table)
    table.rejectUnknownKeys()
    if let url, !(url.hasPrefix("smtp://") || url.hasPrefix("smtps://")) {
      table.fail("url", "expected an smtp:// or smtps:// URL, found \"\(url)\"")
      return nil
    }
    if let url, url.hasPrefix("smtps://"), tls != .tls {
      tls = .tls
    }
    var from: EmailAddress?
    if let fromText {
      do { from = try EmailAddress(parsing: fromText) } catch {
        table.fail("from", "not a valid sender address: \(error)")
      }
    }
    guard let url, let from else { return nil }
    return Relay(
      name: name, url: url, from: from, tls: tls, username: username, password: password,
      concurrency: concurrency, timeout: timeout, verifyTLS: verifyTLS, gate: gate)
  }

  func readRecipient(
    _ table: ConfigTable, audiences: Set<String>, endpoints: [String: Endpoint]
  ) -> Recipient? {
    var table = table
    let id = table.string("id", required: true)
    let name = table.string("name", required: true)
    let memberOf = table.strings("audiences", required: true) ?? []
    let contactTexts = table.strings("contacts", required: true) ?? []
    let language = table.string("language") ?? "da"
    let timeZone = table.string("time_zone") ?? "Europe/Copenhagen"
    var attributes: [String: String] = [:]
    if var attributeTable = table.table("attributes") {
      for key in attributeTable.keys {
        if let value = attributeTable.string(key) { attributes[key.lowercased()] = value }
      }
    }
    table.rejectUnknownKeys()
    var valid = id != nil && name != nil
    for (audience, line) in memberOf where !audiences.contains(audience) {
      table.fail(
        "audiences", "unknown audience \"\(audience)\"; configure it under [audiences.\(audience)]",
        line: line)
      valid = false
    }
    if TimeZone(identifier: timeZone) == nil {
      table.fail(
        "time_zone", "unknown time zone \"\(timeZone)\" (expected e.g. \"Europe/Copenhagen\")")
      valid = false
    }
    var contacts: [Contact] = []
    let rules = ContactEndpoints(endpoints)
    for (text, line) in contactTexts {
      switch ContactParser.parse(text, endpoints: rules) {
      case .success(let contact): contacts.append(contact)
      case .failure(let reason):
        table.fail("contacts", reason.description, line: line)
        valid = false
      }
    }
    if contactTexts.isEmpty, table.table["contacts"] != nil {
      table.fail("contacts", "a recipient needs at least one contact")
      valid = false
    }
    guard valid, let id, let name else { return nil }
    return Recipient(
      id: id, name: name, audiences: memberOf.map(\.value), contacts: contacts,
      language: language, timeZone: timeZone, attributes: attributes)
  }
}
