/// When the engine's lanes start only urgent transfers: while an urgent
/// (flash) transfer runs, and while a flash message is being accepted (a
/// hold, see `CurlEngine.holdingNonUrgent`), a non-urgent transfer waiting
/// in a lane does not start. Those already running go on.
///
/// Why (issue 25): behind 100,000 bulk deliveries both cores are busy, and
/// a flash message's p99 was made of waits for a CPU (NOTES.md, seventh
/// pass): its intake waiting for the writer, its transfers waiting to be
/// run and answered. With no new bulk starting while it goes out, the bulk
/// already running drains within milliseconds and the flash message has
/// the machine. Six alternating pairs of the flash benchmark: p99 48–73 ms
/// (median 54.5) before, 18–27 ms (median 22) with it; p50 11–13 → 6–7 ms.
///
/// The precedence is bounded: an urgent transfer or a hold keeps bulk
/// waiting at most `bound` after it began. A flash receiver that does not
/// answer (a transfer runs up to its timeout) must not stop the bulk for
/// that long, and a steady stream of flash messages still lets bulk through
/// between them.
///
/// Pure bookkeeping on the engine thread; instants are given, so tests
/// decide the time.
struct UrgentPrecedence {
  /// How long one urgent transfer's start (or a hold's) keeps non-urgent
  /// ones waiting, at most.
  let bound: Duration
  /// Urgent transfers running.
  private(set) var urgentRunning = 0
  /// The latest start of an urgent transfer still running.
  private var lastUrgentStart: ContinuousClock.Instant?
  /// The latest start of a hold still in force (from the inbox), if any.
  private var holdStart: ContinuousClock.Instant?

  init(bound: Duration) {
    self.bound = bound
  }

  mutating func urgentStarted(at now: ContinuousClock.Instant) {
    urgentRunning += 1
    lastUrgentStart = now
  }

  mutating func urgentEnded() {
    urgentRunning = max(0, urgentRunning - 1)
    if urgentRunning == 0 { lastUrgentStart = nil }
  }

  /// The holds in force now: the start of the latest, or nil for none.
  mutating func holds(since start: ContinuousClock.Instant?) {
    holdStart = start
  }

  /// Until when non-urgent transfers wait; nil when nothing holds them.
  /// Asked on every turn of the engine's loop: no array, no allocation.
  var until: ContinuousClock.Instant? {
    switch (lastUrgentStart, holdStart) {
    case (nil, nil): nil
    case (let urgent?, nil): urgent + bound
    case (nil, let hold?): hold + bound
    case (let urgent?, let hold?): max(urgent, hold) + bound
    }
  }

  /// Whether a non-urgent transfer waiting in a lane may not start at `now`.
  func holdsNonUrgent(at now: ContinuousClock.Instant) -> Bool {
    guard let until else { return false }
    return now < until
  }
}
