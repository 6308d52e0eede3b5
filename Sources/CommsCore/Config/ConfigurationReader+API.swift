import Foundation
import Mustache

/// Reading the optional `[api]` and `[hooks.NAME]` sections (see `APISettings`).
extension ConfigurationReader {
  func readAPI(_ table: ConfigTable?, hooks: ConfigTable?, audiences: Set<String>)
    -> APISettings?
  {
    guard var table else {
      if let hooks, let first = hooks.keys.first {
        hooks.fail(first, "inbound webhooks need the HTTP API: add an [api] section")
      }
      return nil
    }
    var settings = APISettings()
    if let listen = table.string("listen") {
      if let (host, port) = Self.hostAndPort(listen) {
        settings.host = host
        settings.port = port
      } else {
        table.fail("listen", "expected HOST:PORT such as \"127.0.0.1:8470\", found \"\(listen)\"")
      }
    }
    settings.tlsCertificate = table.string("tls_certificate").map(resolve)
    settings.tlsKey = table.string("tls_key").map(resolve)
    if (settings.tlsCertificate == nil) != (settings.tlsKey == nil) {
      table.fail(
        settings.tlsCertificate == nil ? "tls_certificate" : "tls_key",
        "TLS needs both tls_certificate and tls_key")
    }
    for (key, path) in [("tls_certificate", settings.tlsCertificate), ("tls_key", settings.tlsKey)]
    {
      if let path, !FileManager.default.isReadableFile(atPath: path) {
        table.fail(key, "cannot read \(path)")
      }
    }
    settings.plaintext = table.bool("plaintext") ?? false
    if !APISettings.isLoopback(settings.host) && !settings.usesTLS && !settings.plaintext {
      table.fail(
        "listen",
        "\(settings.host) is reachable from other machines: configure tls_certificate and tls_key, or set plaintext = true if unencrypted HTTP is intended (e.g. behind a TLS proxy)"
      )
    }
    if let bytes = table.integer("max_body_bytes", in: 1024...(64 * 1024 * 1024)) {
      settings.maxBodyBytes = bytes
    }
    if let timeout = bounded(
      &table, "idle_timeout", .seconds(1)...Duration.seconds(3600), "1s to 1h")
    {
      settings.idleTimeout = timeout
    }
    if let count = table.integer("max_connections", in: 1...65536) {
      settings.maxConnections = count
    }
    if let timeout = bounded(
      &table, "tls_handshake_timeout", .seconds(1)...Duration.seconds(300), "1s to 5m")
    {
      settings.tlsHandshakeTimeout = timeout
    }
    settings.metricsPublic = table.bool("metrics_public") ?? false
    if let tokens = table.tables("tokens") {
      var names: Set<String> = []
      for var token in tokens {
        guard let read = readToken(&token, audiences: audiences) else { continue }
        if !names.insert(read.name).inserted {
          token.fail("name", "a second token named \"\(read.name)\"")
          continue
        }
        settings.tokens.append(read)
      }
    }
    table.rejectUnknownKeys()
    if var hooks {
      for name in hooks.keys {
        guard let hook = hooks.table(name) else { continue }
        if let read = readHook(hook, name: name, audiences: audiences) {
          settings.hooks[name] = read
        }
      }
    }
    return settings
  }

  /// A duration within `range`, or nil (with the error recorded).
  func bounded(
    _ table: inout ConfigTable, _ key: String, _ range: ClosedRange<Duration>, _ said: String
  ) -> Duration? {
    guard let duration = table.duration(key) else { return nil }
    guard range.contains(duration) else {
      table.fail(key, "expected a duration from \(said)")
      return nil
    }
    return duration
  }

  /// `HOST:PORT`, or `[IPv6]:PORT`.
  static func hostAndPort(_ text: String) -> (String, Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (1...65535).contains(port)
    else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { return nil }
    return (host, port)
  }

  private func readToken(_ table: inout ConfigTable, audiences known: Set<String>) -> APIToken? {
    let name = table.string("name", required: true)
    let hashText = table.string("hash", required: true)
    let audienceList = table.strings("audiences", required: true) ?? []
    let priorityText = table.string("max_priority") ?? "normal"
    let readOnly = table.bool("read_only") ?? false
    let audit = table.bool("audit") ?? false
    let rightList = table.strings("rights")
    table.rejectUnknownKeys()
    var ok = true
    var rights: Set<OperatorRight>?
    if let rightList {
      rights = []
      for (text, line) in rightList {
        guard let right = OperatorRight(rawValue: text) else {
          table.fail(
            "rights",
            "expected send, cancel, approve, audit or inbox, found \"\(Printable.quoted(text))\"",
            line: line)
          ok = false
          continue
        }
        rights?.insert(right)
      }
      if table.table["audit"] != nil {
        table.fail("audit", "give the audit right in rights, not audit = true beside it")
        ok = false
      }
    }
    if let name, !ConfigurationReader.isValidName(name) {
      table.fail("name", "use letters, digits, - and _ only, found \"\(name)\"")
      ok = false
    }
    var hash: [UInt8]?
    if let hashText {
      if hashText.hasPrefix("sha256:"), hashText.utf8.count == 71,
        let bytes = RetentionKey.bytes(fromHex: String(hashText.dropFirst(7)))
      {
        hash = bytes
      } else {
        table.fail(
          "hash", "expected \"sha256:\" and 64 hex digits, as `commsd token create` prints it")
        ok = false
      }
    }
    for (audience, line) in audienceList where !known.contains(audience) {
      table.fail("audiences", "unknown audience \"\(audience)\"", line: line)
      ok = false
    }
    guard let priority = Priority(rawValue: priorityText) else {
      table.fail(
        "max_priority", "expected flash, urgent, normal or bulk, found \"\(priorityText)\"")
      return nil
    }
    guard ok, let name, let hash else { return nil }
    return APIToken(
      name: name, hash: hash, audiences: Set(audienceList.map(\.value)), maxPriority: priority,
      readOnly: readOnly, audit: audit, rights: rights)
  }

  private func readHook(_ table: ConfigTable, name: String, audiences known: Set<String>)
    -> InboundHook?
  {
    var table = table
    let secretText = secret(&table, "secret")
    // A source of questions from another system: only its secret.
    if table.bool("inquiries") == true {
      // Audiences, priority, kind, subject and body are unknown keys here.
      table.rejectUnknownKeys()
      guard let key = secretText.flatMap(WebhookSigner.key(fromSecret:)) else {
        table.fail("secret", "expected a Standard Webhooks secret: \"whsec_\" followed by base64")
        return nil
      }
      return InboundHook(
        name: name, key: key, audiences: [], priority: .normal, kind: .alert, subject: "",
        body: "", inquiries: true)
    }
    let audienceList = table.strings("audiences", required: true) ?? []
    let priorityText = table.string("priority") ?? "normal"
    let kindText = table.string("kind") ?? "alert"
    let subject = table.string("subject", required: true)
    let body = table.string("body", required: true)
    table.rejectUnknownKeys()
    var ok = true
    if !ConfigurationReader.isValidName(name) {
      table.fail("", "a hook source's name must use letters, digits, - and _ only")
      ok = false
    }
    var key: [UInt8]?
    if let secretText {
      key = WebhookSigner.key(fromSecret: secretText)
      if key == nil {
        table.fail("secret", "expected a Standard Webhooks secret: \"whsec_\" followed by base64")
      }
    } else {
      table.fail(
        "secret", "missing; give the source's signing secret (whsec_…) as secret or secret_file")
    }
    for (audience, line) in audienceList where !known.contains(audience) {
      table.fail("audiences", "unknown audience \"\(audience)\"", line: line)
      ok = false
    }
    let priority = Priority(rawValue: priorityText)
    if priority == nil {
      table.fail("priority", "expected flash, urgent, normal or bulk, found \"\(priorityText)\"")
    }
    let kind = MessageKind(rawValue: kindText)
    if kind == nil || kind == .retraction {
      table.fail("kind", "expected alert, update, process or all-clear, found \"\(kindText)\"")
    }
    for (part, text) in [("subject", subject), ("body", body)] {
      guard let text else { continue }
      do {
        _ = try HookTemplate(text)
      } catch {
        table.fail(part, "not a valid Mustache template: \(error)")
        ok = false
      }
    }
    guard ok, let key, let priority, let kind, kind != .retraction, let subject, let body,
      !audienceList.isEmpty
    else {
      if audienceList.isEmpty && ok { table.fail("audiences", "name at least one audience") }
      return nil
    }
    return InboundHook(
      name: name, key: key, audiences: audienceList.map(\.value), priority: priority, kind: kind,
      subject: subject, body: body)
  }
}
