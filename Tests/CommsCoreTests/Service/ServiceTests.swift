import Foundation
import Logging
import Testing

@testable import CommsCore

/// The log line format and the systemd notify settings, without a daemon.
@Suite struct ServiceTests {
  @Test func aLogEventIsOneLineWithKeyValueFields() {
    let handler = LineLogHandler(label: "commsd", environment: [:])
    let line = handler.line(
      level: .notice, message: "message accepted",
      ["message": "msg_1", "sender": "cli:mette@krisestab", "note": "two words\nand a line"],
      at: Date(timeIntervalSince1970: 1_790_000_000))
    #expect(
      line
        == "2026-09-21T14:13:20.000Z notice message accepted message=msg_1 note=\"two words\\nand a line\" sender=cli:mette@krisestab\n"
    )
  }

  @Test func underTheJournalTheLineCarriesThePriorityNotATime() {
    let handler = LineLogHandler(label: "commsd", environment: ["JOURNAL_STREAM": "8:12345"])
    #expect(
      handler.line(level: .warning, message: "slow", ["endpoint": "sms"])
        == "<4>warning slow endpoint=sms\n")
    #expect(handler.line(level: .error, message: "x", nil).hasPrefix("<3>error x"))
  }

  @Test func theWatchdogIsPingedAtHalfItsTimeoutWhenItIsOurs() {
    let notifier = SystemdNotifier(environment: [
      "NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000",
    ])
    #expect(notifier.isActive)
    #expect(notifier.watchdogInterval == .seconds(15))
    let someoneElse = SystemdNotifier(environment: [
      "NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1",
    ])
    #expect(someoneElse.watchdogInterval == nil)
    let none = SystemdNotifier(environment: [:])
    #expect(!none.isActive && !none.notify("READY=1"))
  }
}
