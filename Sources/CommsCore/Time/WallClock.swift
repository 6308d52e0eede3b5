import Foundation
import Synchronization

/// The source of "now" for every decision that depends on time (dosing,
/// retries, leases), injected so tests decide time instead of sleeping.
public protocol WallClock: Sendable {
  func now() -> Date
}

/// The real clock.
public struct SystemClock: WallClock {
  public init() {}
  public func now() -> Date { Date() }
}

/// A clock tests move by hand.
public final class ManualClock: WallClock {
  private let current: Mutex<Date>

  public init(_ start: Date) { current = Mutex(start) }

  public func now() -> Date { current.withLock { $0 } }

  public func advance(by seconds: TimeInterval) {
    current.withLock { $0 = $0.addingTimeInterval(seconds) }
  }

  public func set(_ date: Date) { current.withLock { $0 = date } }
}
