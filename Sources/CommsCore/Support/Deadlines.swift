import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One thread that ends the waits whose time is up, for the doorbells of the
/// daemon's loops (see `Doorbell.wait(timeout:)`).
///
/// Why not `Task.sleep` beside the wait: on Linux a sleep is a libdispatch
/// timer that fires at its time even when the wait it bounded ended long
/// before, and the dispatcher waits a few hundred times a second (behind a
/// relay of 16 it turns every four completions), each wait bounded by the
/// 200 ms poll interval. Every such timer woke libdispatch's manager thread
/// and a worker 200 ms later for nothing: about one context switch in five
/// per email, and two child tasks made and cancelled per wait (issue 25).
///
/// Here a wait that ends early takes its deadline out, and nothing wakes
/// for it. The thread sleeps until the earliest deadline it knows of; a new
/// deadline wakes it only when it is earlier than that. A deadline taken
/// out costs at most one spare wake-up at its time, however many waits came
/// and went meanwhile.
final class Deadlines: @unchecked Sendable {
  static let shared = Deadlines()

  private struct Entry {
    let token: Int
    let at: UInt64
    let fire: @Sendable () -> Void
  }

  // Guarded by `mutex`.
  private var entries: [Entry] = []
  private var nextToken = 0
  /// What the thread sleeps until (`.max`: until signalled); nil while it
  /// is awake, and so will look at the entries again before it sleeps.
  private var sleepingUntil: UInt64?
  private var started = false

  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>

  /// The daemon's loops share `shared`; tests make their own to count.
  init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
    condition = .allocate(capacity: 1)
    condition.initialize(to: pthread_cond_t())
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    // Deadlines are on the monotonic clock: a wall clock set back must not
    // stretch a wait.
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  /// Calls `fire` on the deadline thread once `timeout` has passed, unless
  /// `cancel` is called first with the token returned. `fire` must not block.
  func schedule(after timeout: Duration, _ fire: @escaping @Sendable () -> Void) -> Int {
    let at = Self.now().addingReportingOverflow(Self.nanoseconds(timeout))
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    if !started {
      started = true
      let thread = Thread { [self] in run() }
      thread.name = "commsd-deadline"
      thread.stackSize = 256 << 10
      thread.start()
    }
    nextToken &+= 1
    let entry = Entry(token: nextToken, at: at.overflow ? .max : at.partialValue, fire: fire)
    entries.append(entry)
    if let sleepingUntil, entry.at < sleepingUntil { pthread_cond_signal(condition) }
    return entry.token
  }

  /// Takes a deadline out; nothing happens if it has fired already.
  func cancel(_ token: Int) {
    pthread_mutex_lock(mutex)
    if let index = entries.firstIndex(where: { $0.token == token }) {
      entries.swapAt(index, entries.count - 1)
      entries.removeLast()
    }
    pthread_mutex_unlock(mutex)
  }

  /// The number of deadlines waiting (for tests).
  var waiting: Int {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return entries.count
  }

  private func run() {
    pthread_mutex_lock(mutex)
    while true {
      let now = Self.now()
      var due: [@Sendable () -> Void] = []
      var earliest = UInt64.max
      var index = 0
      while index < entries.count {
        if entries[index].at <= now {
          due.append(entries[index].fire)
          entries.swapAt(index, entries.count - 1)
          entries.removeLast()
        } else {
          earliest = min(earliest, entries[index].at)
          index += 1
        }
      }
      if !due.isEmpty {
        pthread_mutex_unlock(mutex)
        for fire in due { fire() }
        pthread_mutex_lock(mutex)
        continue
      }
      sleepingUntil = earliest
      if earliest == .max {
        pthread_cond_wait(condition, mutex)
      } else {
        var time = timespec(
          tv_sec: Int(clamping: earliest / 1_000_000_000),
          tv_nsec: Int(clamping: earliest % 1_000_000_000))
        pthread_cond_timedwait(condition, mutex, &time)
      }
      sleepingUntil = nil
    }
  }

  /// The monotonic clock in nanoseconds.
  private static func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    let seconds = UInt64(clamping: time.tv_sec)
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    return overflow
      ? .max : whole.addingReportingOverflow(UInt64(clamping: time.tv_nsec)).partialValue
  }

  /// `duration` in nanoseconds: none for a negative one, `.max` past what fits.
  static func nanoseconds(_ duration: Duration) -> UInt64 {
    guard duration > .zero else { return 0 }
    // Both parts of a positive duration are positive.
    let (seconds, attoseconds) = duration.components
    let (whole, overflow) = UInt64(clamping: seconds).multipliedReportingOverflow(
      by: 1_000_000_000)
    guard !overflow else { return .max }
    let (sum, beyond) = whole.addingReportingOverflow(UInt64(clamping: attoseconds / 1_000_000_000))
    return beyond ? .max : sum
  }
}
