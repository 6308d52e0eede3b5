import Synchronization

/// Recently used messages, so a fan-out to thousands reads its message once.
final class MessageCache: Sendable {
  private let entries = Mutex<[MessageID: Message]>([:])
  let capacity: Int

  init(capacity: Int) { self.capacity = capacity }

  subscript(id: MessageID) -> Message? {
    get { entries.withLock { $0[id] } }
    set {
      entries.withLock { entries in
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[id] = newValue
      }
    }
  }
}
