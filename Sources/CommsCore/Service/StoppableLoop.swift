import ServiceLifecycle

/// A loop that runs until it is asked to stop and then finishes what it
/// holds before it returns (planning its message, sending what is in flight,
/// writing the outcomes it was given). As a service it is asked at its turn
/// to stop in the daemon's group, or on cancellation.
public protocol StoppableLoop: Service {
  /// Runs until `stop()`, then finishes what it holds and returns.
  func runUntilStopped() async
  /// Asks `runUntilStopped()` to return; it may be called more than once.
  func stop()
}

extension StoppableLoop {
  public func run() async {
    await withTaskCancellationOrGracefulShutdownHandler {
      await runUntilStopped()
    } onCancelOrGracefulShutdown: {
      stop()
    }
  }
}
