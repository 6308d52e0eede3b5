import Logging
import Synchronization

/// Keeps what was logged, for tests.
final class CapturedLines: Sendable {
  let lines = Mutex<[(String, Logger.Metadata)]>([])
}

struct CapturingHandler: LogHandler {
  let captured: CapturedLines
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    captured.lines.withLock { $0.append(("\(event.message)", event.metadata ?? [:])) }
  }
}
