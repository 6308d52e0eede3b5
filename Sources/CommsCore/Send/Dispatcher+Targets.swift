import Synchronization

/// Where each delivery goes (an endpoint or the relay), as the dispatcher's
/// loop keeps it: numbered (see `DispatchSlots`).
extension Dispatcher {
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
