import ServiceLifecycle

/// The SQLite store's checkpoints (`SQLiteStore.runCheckpoints`) as a
/// service: first in the daemon's group, so they stop after the last write
/// and the last checkpoint leaves the log short for the next start.
struct SQLiteCheckpoints: Service {
  let store: SQLiteStore

  func run() async {
    let store = store
    await cancelWhenGracefulShutdown { await store.runCheckpoints() }
  }
}
