import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// One event per line on standard error, `key=value` fields after the
/// message, e.g.
///
///     2026-11-25T17:14:18Z notice message accepted message=msg_01K… priority=urgent
///
/// Under systemd (`JOURNAL_STREAM` set) the line carries no timestamp — the
/// journal has its own — and starts with the syslog priority (`<5>`), so
/// `journalctl -p warning` filters by commsd's levels. Values with spaces,
/// quotes or `=` are quoted; line breaks in them are escaped, so one event
/// is always one line.
public struct LineLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info
  let label: String
  let journal: Bool

  private static let output = Mutex<Void>(())

  public init(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.label = label
    journal = environment["JOURNAL_STREAM"]?.isEmpty == false
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let line = self.line(level: event.level, message: event.message.description, event.metadata)
    Self.output.withLock { _ in
      FileHandle.standardError.write(Data(line.utf8))
    }
  }

  /// The line written for one event, its line break included.
  func line(level: Logger.Level, message: String, _ extra: Logger.Metadata?, at date: Date = Date())
    -> String
  {
    var fields = metadata
    if let extra { fields.merge(extra) { $1 } }
    var line = journal ? "<\(Self.syslogPriority(level))>" : Timestamp.format(date) + " "
    line += "\(level) \(Self.oneLine(message))"
    for key in fields.keys.sorted() {
      line += " \(key)=\(Self.value("\(fields[key]!)"))"
    }
    return line + "\n"
  }

  static func syslogPriority(_ level: Logger.Level) -> Int {
    switch level {
    case .trace, .debug: 7
    case .info: 6
    case .notice: 5
    case .warning: 4
    case .error: 3
    case .critical: 2
    }
  }

  static func oneLine(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
      .replacingOccurrences(of: "\r", with: "\\r")
  }

  static func value(_ text: String) -> String {
    let flat = oneLine(text)
    guard flat.isEmpty || flat.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else {
      return flat
    }
    return "\"" + flat.replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
