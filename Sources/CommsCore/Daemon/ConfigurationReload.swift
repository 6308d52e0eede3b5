import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `systemctl reload commsd` (SIGHUP): the configuration file and its
/// recipient lists are read and checked again.
///
/// A configuration that does not validate is refused: the errors are logged
/// and audited (`config.refused`) and the running configuration stays. A
/// valid one is adopted where the daemon can change course while running —
/// the recipients and audiences' members, the `[[operators]]` (a removed
/// operator loses their rights at once), the API's tokens and hook sources
/// — and audited (`config.reloaded`, with its SHA-256). Sections the running
/// loops were built from (relays, endpoints, audience templates and dosing,
/// dispatch, the API's address, the data directory) take effect at the next
/// restart; the reload says which of them changed, in the log and the audit.
///
/// As a service it listens for SIGHUP until its turn to stop, and reloads
/// once per signal, one reload at a time. The signal is trapped before
/// anything listens (`Daemon.run` makes `hangups` first): the service starts
/// after the intake socket, and a reload asked for in between waits in the
/// sequence instead of being lost.
struct ConfigurationReload: Service {
  let hangups: UnixSignalsSequence
  let running: Configuration
  let store: any Store
  let directory: DirectorySource
  let api: APIServer?
  let clock: any WallClock
  let logger: Logger

  func run() async {
    for await _ in hangups.cancelOnGracefulShutdown() {
      await reload()
    }
  }

  func reload() async {
    let event: AuditEvent
    let file = running.file
    // Read off the cooperative pool, as the planner's reloads are (`OffPool`).
    let loaded = await OffPool.run {
      Result { () throws(ConfigErrors) in try ConfigurationLoader.load(path: file) }
    }
    do {
      let next = try loaded.get()
      directory.adopt(next)
      api?.adopt(next.api)
      let restart = Self.changesNeedingRestart(from: running, to: next)
      var detail = [
        "scope": "signal", "sha256": next.hash, "recipients": String(next.recipients.count),
      ]
      if !restart.isEmpty { detail["restart_needed"] = restart.joined(separator: ",") }
      logger.notice(
        "configuration reloaded",
        metadata: [
          "sha256": "\(next.hash)", "recipients": "\(next.recipients.count)",
          "restart_needed": "\(restart.isEmpty ? "nothing" : restart.joined(separator: ","))",
        ])
      event = AuditEvent(
        kind: "config.reloaded", at: clock.now(), actor: "commsd", detail: detail)
    } catch {
      logger.error(
        "reload refused: the configuration does not validate; the running one stays",
        metadata: ["errors": "\(error)"])
      event = AuditEvent(
        kind: "config.refused", at: clock.now(), actor: "commsd",
        detail: ["scope": "signal", "errors": error.description])
    }
    do { try await store.appendAudit([event]) } catch {
      logger.error("cannot write audit event", metadata: ["error": "\(error)"])
    }
  }

  /// The sections that changed but take effect only after a restart.
  static func changesNeedingRestart(from old: Configuration, to new: Configuration) -> [String] {
    var changed: [String] = []
    if old.dataDirectory != new.dataDirectory { changed.append("data_dir") }
    if old.store != new.store { changed.append("store") }
    if old.dispatch != new.dispatch { changed.append("dispatch") }
    if old.retry != new.retry { changed.append("retry") }
    if old.retention != new.retention { changed.append("retention") }
    if old.cap != new.cap { changed.append("cap") }
    if old.logLevel != new.logLevel { changed.append("log") }
    if old.relays != new.relays { changed.append("relays") }
    if old.endpoints != new.endpoints { changed.append("endpoints") }
    // Templates are compiled; their configured texts tell a change.
    func audiences(_ configuration: Configuration) -> [String: String] {
      configuration.audiences.mapValues { audience in
        "\(audience.displayName)|\(audience.displayNames.sorted { $0.key < $1.key })|"
          + "\(audience.template.base)|\(audience.template.translations.sorted { $0.key < $1.key })|"
          + "\(audience.dosing)"
      }
    }
    if audiences(old) != audiences(new) { changed.append("audiences") }
    if old.inbound != new.inbound
      || old.audiences.mapValues(\.inbound) != new.audiences.mapValues(\.inbound)
    {
      changed.append("inbound")
    }
    if old.api?.host != new.api?.host || old.api?.port != new.api?.port
      || old.api?.tlsCertificate != new.api?.tlsCertificate || (old.api == nil) != (new.api == nil)
    {
      changed.append("api.listen")
    }
    return changed
  }
}
