import ServiceLifecycle

/// A service that must not start before the daemon is ready (planning and
/// dispatch: nothing is planned or sent before every listener is bound).
///
/// When the daemon stops without having been ready (the API's port could
/// not be bound), the service never starts and waits for its turn to stop:
/// a service that returns before its turn reads to the group as a failure.
struct WhenReady<Wrapped: Service>: Service {
  let readiness: Readiness
  let service: Wrapped

  func run() async throws {
    let readiness = readiness
    guard await cancelWhenGracefulShutdown({ await readiness.wait() }) else {
      try? await gracefulShutdown()
      return
    }
    try await service.run()
  }
}
