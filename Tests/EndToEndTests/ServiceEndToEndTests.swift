import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd {
  /// The daemon as a systemd service: the notify protocol, and stopping.
  @Suite struct Service {
    @Test func systemdHearsReadyWatchdogAndStoppingInOrder() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]))
        let notify = try NotifySocket(path: workspace.directory + "/notify.sock")
        defer { notify.close() }
        let daemon = try workspace.startDaemon(
          environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        try await eventually(timeout: .seconds(30), "READY=1 and then two watchdog pings") {
          let lines = notify.lines
          guard let ready = lines.firstIndex(of: "READY=1") else { return false }
          return lines[ready...].filter { $0 == "WATCHDOG=1" }.count >= 2
        }
        // The queue is reported with READY.
        #expect(notify.lines.contains { $0.hasPrefix("STATUS=queued 0, held 0, in flight 0") })
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output)")
        let lines = notify.lines.filter {
          $0 == "READY=1" || $0 == "WATCHDOG=1" || $0 == "STOPPING=1"
        }
        let ready = try #require(lines.firstIndex(of: "READY=1"))
        let stopping = try #require(lines.firstIndex(of: "STOPPING=1"))
        #expect(ready == 0, "\(lines)")
        #expect(lines[ready..<stopping].contains("WATCHDOG=1"))
        #expect(
          lines.filter { $0 == "READY=1" || $0 == "STOPPING=1" } == ["READY=1", "STOPPING=1"])
      }
    }
  }
}
