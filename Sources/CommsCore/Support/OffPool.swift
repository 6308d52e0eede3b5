import Foundation

/// Runs long synchronous work (re-reading 100,000 recipients from CSV takes
/// over a second) on a thread of its own, so it holds none of the
/// cooperative pool's threads — two on this machine — that intake, flash
/// planning and the dispatcher's tasks run on.
enum OffPool {
  /// The value of `work`, computed on a new thread.
  static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      let thread = Thread { continuation.resume(returning: work()) }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }
}
