import Synchronization

/// Counts of the API's answers by route, method and status, for `/metrics`.
final class APIMetrics: Sendable {
  struct Key: Hashable {
    var route: String
    var method: String
    var status: Int
  }

  private let counts = Mutex<[Key: Int]>([:])

  func count(route: String, method: String, status: Int) {
    counts.withLock { $0[Key(route: route, method: method, status: status), default: 0] += 1 }
  }

  var snapshot: [Key: Int] { counts.withLock { $0 } }
}
