/// A value that is costly to make (a scan of the store, say), made at most
/// once per `interval` however many ask: callers within the interval get the
/// last value (or its failure), and callers while it is being made wait for
/// that one making instead of starting another. A scrape flood on
/// `/metrics` thus costs at most one store query per interval.
actor OncePerInterval<Value: Sendable> {
  let interval: Duration
  private let now: @Sendable () -> ContinuousClock.Instant
  private var last: (result: Result<Value, any Error>, at: ContinuousClock.Instant)?
  private var making: Task<Result<Value, any Error>, Never>?

  init(
    interval: Duration,
    now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.interval = interval
    self.now = now
  }

  /// The value, made by `make` only when the last one is older than the interval.
  func value(_ make: @escaping @Sendable () async throws -> Value) async throws -> Value {
    if let last, now() - last.at < interval { return try last.result.get() }
    if let making { return try await making.value.get() }
    let task = Task { () -> Result<Value, any Error> in
      do { return .success(try await make()) } catch { return .failure(error) }
    }
    making = task
    let result = await task.value
    last = (result, now())
    making = nil
    return try result.get()
  }
}
