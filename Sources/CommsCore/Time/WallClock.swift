import Foundation
import Synchronization

/// The source of "now" for every decision that depends on time (dosing,
/// retries, leases), injected so tests decide time instead of sleeping.
public protocol WallClock: Sendable {
  func now() -> Date
}

/// The real clock (moved only by `TestClockOffset`, when a test asks).
public struct SystemClock: WallClock {
  public init() {}
  public func now() -> Date {
    guard let offset = TestClockOffset.shared else { return Date() }
    return Date().addingTimeInterval(offset.seconds())
  }
}

/// For end-to-end tests of what happens minutes or hours later (escalation
/// waves, deadlines): `COMMSD_TEST_CLOCK_FILE` names a file holding a number
/// of seconds that `SystemClock` adds to the wall clock, read anew at most
/// every 50 ms, so a test moves the daemon's and the CLI's time instead of
/// waiting for it. Timers (the monotonic clock) are not moved. Unset in
/// production; `commsd serve` logs a warning when it is set. (libfaketime
/// was tried first: preloaded, it leaves a Swift program's
/// CommandLine.arguments empty.)
public final class TestClockOffset: Sendable {
  public static let variable = "COMMSD_TEST_CLOCK_FILE"
  public static let shared: TestClockOffset? = ProcessInfo.processInfo.environment[variable]
    .map(TestClockOffset.init(file:))

  public let file: String
  private let cache = Mutex<(read: ContinuousClock.Instant?, seconds: Double)>((nil, 0))

  init(file: String) { self.file = file }

  /// The offset in seconds: the file's number, or 0 when it holds none
  /// (bounded to ten years either way, never a trap).
  public func seconds() -> Double {
    let now = ContinuousClock.now
    return cache.withLock { cache in
      if let read = cache.read, read.duration(to: now) < .milliseconds(50) { return cache.seconds }
      let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
      let value = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
      cache = (now, value.isFinite ? min(max(value, -315_576_000), 315_576_000) : 0)
      return cache.seconds
    }
  }
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
