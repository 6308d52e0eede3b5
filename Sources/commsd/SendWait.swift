import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `commsd send --wait`: live progress per audience until every copy of the
/// message is final. Watching only reads the store: Ctrl-C ends the
/// watching, never the message.
extension Handing {
  func watch(_ id: MessageID, configPath: String) async throws {
    let store = try StoreAccess.openForReading(
      configPath: configPath, command: "commsd send --wait")
    let terminal = isatty(STDOUT_FILENO) == 1
    var shown: [String] = []
    FileHandle.standardError.write(
      Data("watching \(id); Ctrl-C stops watching, the message goes on\n".utf8))
    while true {
      guard let overview = try await store.overview(of: id) else { return }
      if json {
        // Scripts get the final progress once, as JSON.
        if overview.isFinal {
          print(try Status.json(overview))
          return
        }
        try await Task.sleep(for: .milliseconds(500))
        continue
      }
      let lines = overview.planned ? Dashboard.bars(overview) : ["planning…"]
      if lines != shown {
        if terminal && !shown.isEmpty {
          // Back over the previous bars, and draw them anew.
          print("\u{1B}[\(shown.count)A", terminator: "")
          for line in lines { print("\u{1B}[2K" + line) }
        } else {
          for line in lines { print(line) }
        }
        fflush(nil)  // all output streams: stdout is shared state to Swift 6
        shown = lines
      }
      if overview.isFinal { return }
      try await Task.sleep(for: .milliseconds(terminal ? 250 : 1000))
    }
  }
}
