import Synchronization

/// Whether the daemon is ready for `/readyz`: set once the store is open and
/// the listeners are bound, cleared when it begins to stop.
final class Readiness: Sendable {
  private let state = Mutex<Bool>(false)
  var isReady: Bool { state.withLock { $0 } }
  func set(_ ready: Bool) { state.withLock { $0 = ready } }
}
