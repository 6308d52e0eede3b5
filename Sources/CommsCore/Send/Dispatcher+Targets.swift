import Synchronization

/// Where each delivery goes (an endpoint or the relay), as the dispatcher's
/// loop keeps it: numbered (see `DispatchSlots`).
extension Dispatcher {
  /// A leased delivery waiting in memory, with its target worked out once:
  /// its number (see `DispatchSlots`) and its name.
  ///
  /// A class, not a struct: the loop scans the whole buffer on every turn
  /// across `await`s, and each read of a struct element there copied the
  /// delivery (about twenty retains and releases). Profiled behind a relay
  /// of 16, that copying was most of the loop's 13 µs per email. The scan,
  /// the start and the completion read the delivery through its entry.
  final class Pending: Sendable {
    let delivery: Delivery
    let target: Int
    let name: String
    let flash: Bool

    init(delivery: Delivery, target: Int, name: String) {
      self.delivery = delivery
      self.target = target
      self.name = name
      flash = delivery.priority == .flash
    }
  }

  /// `deliveries` as the loop holds them, each with its target's number
  /// and name, under one lock.
  func pending(_ deliveries: [Delivery]) -> [Pending] {
    slots.withLock { slots in
      deliveries.map { delivery in
        let number = slots.number(of: target(of: delivery))
        return Pending(delivery: delivery, target: number, name: slots.names[number])
      }
    }
  }

  /// The names of the targets in `set`, as a lease excludes them.
  func names(of set: TargetSet) -> Set<String> {
    slots.withLock { slots in Set(set.members.map { slots.names[$0] }) }
  }

  func target(of delivery: Delivery) -> String {
    switch delivery.contact {
    case .email: "relay:\(defaultRelay)"
    case .webhook(let endpoint, _): "endpoint:\(endpoint)"
    }
  }
}
