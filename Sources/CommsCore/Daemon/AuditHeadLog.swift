import Foundation
import Logging
import ServiceLifecycle

/// Logs the audit chain's head (sequence and hash) at start, at intervals
/// and at stop, so a copy of it exists outside the database (the journal):
/// `commsd audit verify --head SEQ:HASH` then also catches the newest
/// events being removed, which the chain alone cannot.
struct AuditHeadLog: Service {
  let store: any Store
  let logger: Logger
  var interval: Duration = .seconds(300)

  /// Logs until its turn to stop (or cancellation), and once more then.
  func run() async {
    await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        await log()
        try? await Task.sleep(for: interval)
      }
      await log()
    }
  }

  func log() async {
    guard let head = try? await store.auditHead() else { return }
    logger.notice(
      "audit chain head", metadata: ["seq": "\(head.sequence)", "sha256": "\(head.hash)"])
  }
}
