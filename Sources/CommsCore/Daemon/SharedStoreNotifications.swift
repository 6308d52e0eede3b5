import ServiceLifecycle

/// On a store several nodes share: other nodes' new messages (`plan`) and
/// new work (`work`), heard by LISTEN/NOTIFY (`PostgresListener`) while the
/// daemon runs, so this node does not wait for its next poll.
struct SharedStoreNotifications: Service {
  let store: PostgresStore
  let plan: @Sendable () -> Void
  let work: @Sendable () -> Void

  func run() async {
    let listener = store.listen(plan: plan, work: work)
    try? await gracefulShutdown()
    // `stop` waits for the listener's thread: not on the cooperative pool.
    await OffPool.run { listener.stop() }
  }
}
