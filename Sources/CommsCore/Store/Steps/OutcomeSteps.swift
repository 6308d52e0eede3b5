import Foundation

/// What follows an attempt's outcome once it is written. How the outcomes
/// themselves are written differs (SQLite 64 per statement, so an urgent
/// intake can cut in between two chunks; PostgreSQL a batch per statement);
/// this is the rest, the same on both.
extension StoreTransaction {
  /// After `outcome` was written for a delivery marked `withdrawn` (or not):
  /// its event, the fallback after a delivery that died, and for one
  /// withdrawn in flight, its waiters and (if a cancelled one arrived) the
  /// retraction. `bulletin` is the delivery's.
  func recorded(
    _ outcome: AttemptRecord, withdrawn: DeliveryState?, bulletin: Int, owner: String
  ) throws {
    var state = outcome.newState
    if let withdrawn, !state.wentOut { state = withdrawn }
    try audit(.attempt(outcome, withdrawn: withdrawn, owner: owner))
    if state == .dead {
      try fallBack(from: outcome, owner: owner)
    }
    if let withdrawn {
      let delivered = state.wentOut
      try releaseWaiters(
        of: outcome.deliveryID.rawValue, delivered: delivered ? bulletin : nil, at: outcome.at)
      if delivered && withdrawn == .cancelled {
        try addRetractionCopy(for: outcome.deliveryID, at: outcome.at)
      }
    }
  }

  /// After a delivery died: a new delivery to the recipient's next contact,
  /// in the same transaction, or — with no contact left — the recipient is
  /// recorded as unreachable for this message.
  func fallBack(from outcome: AttemptRecord, owner: String) throws {
    guard
      let row = try row(
        "SELECT \(StoreRows.deliveryColumns), contacts FROM deliveries WHERE id = ?",
        [outcome.deliveryID.rawValue])
    else { return }
    let dead = try StoreRows.delivery(from: row)
    let text: String = try row[StoreRows.deliveryColumnCount]
    let contacts = try JSONCoding.decoder().decode([Contact].self, from: Data(text.utf8))
    guard let next = FallbackContact.next(after: dead, contacts: contacts, at: outcome.at) else {
      try audit(
        FallbackContact.unreachable(dead, contacts: contacts.count, outcome: outcome, actor: owner))
      return
    }
    try DeliveryWriter.insert(next, now: Timestamp.format(outcome.at), in: self)
    try audit(FallbackContact.event(next, from: dead, at: outcome.at, actor: owner))
    notify(.work)
  }
}
