import Foundation

/// What one turn of a due wave did.
public enum WaveOutcome: Sendable, Equatable {
  /// Wave `wave` planned: `deliveries` to send, chasing `chased` people.
  case planned(wave: Int, chased: Int, deliveries: Int)
  /// No more waves for the message, and why (`cancelled`, `superseded`,
  /// `expired`, `all confirmed`, `enough confirmed`).
  case stopped(reason: String)
  /// Not due any more: another node (or an earlier turn) took it.
  case taken
}

extension Store {
  /// Messages whose next wave is due at `now`, the earliest first, with the
  /// due time as stored (the wave step takes it only if it is unchanged).
  public func dueWaves(now: Date, limit: Int = 16) async throws -> [(MessageID, String)] {
    try await read { reader in
      try reader.rows(
        """
        SELECT id, next_wave_at FROM messages
        WHERE next_wave_at IS NOT NULL AND next_wave_at <= ? ORDER BY next_wave_at LIMIT ?
        """, [Timestamp.format(now), limit]
      ).map { (MessageID(rawValue: try $0[0]), try $0[1]) }
    }
  }

  /// Plans message `id`'s wave that was due at `due`, in one transaction:
  /// who has not confirmed is read, `plan` makes the wave's deliveries,
  /// they are written with the wave and the next wave's time, and audited.
  /// A crash before the commit leaves the wave due; after it, planned once
  /// (its deliveries go like any other). Cancel, supersede and expiry stop
  /// the waves here.
  public func planWave(
    _ id: MessageID, due: String, at now: Date,
    plan: @escaping @Sendable (WavePlanner.Input) -> WavePlanner.Wave
  ) async throws -> WaveOutcome {
    try await write { transaction in
      try transaction.planWave(id, due: due, at: now, plan: plan)
    }
  }
}

extension StoreTransaction {
  fileprivate func planWave(
    _ id: MessageID, due: String, at now: Date,
    plan: (WavePlanner.Input) -> WavePlanner.Wave
  ) throws -> WaveOutcome {
    // Taken first: a second node waits on the row and then finds it changed.
    guard
      try row(
        "UPDATE messages SET next_wave_at = NULL WHERE id = ? AND next_wave_at = ? RETURNING id",
        [id.rawValue, due]) != nil,
      let messageRow = try rows("\(StoreRows.messageColumns) WHERE id = ?", [id.rawValue]).first,
      let lifecycleRow = try rows(
        "SELECT \(StoreRows.lifecycleColumns) FROM messages WHERE id = ?", [id.rawValue]
      ).first
    else { return .taken }
    let message = try StoreRows.message(from: messageRow)
    let lifecycle = try StoreRows.Lifecycle(row: lifecycleRow)
    let waves: Int =
      try row(
        "SELECT COUNT(*) FROM confirmation_waves WHERE message_id = ?", [id.rawValue]
      ).map { try $0[0] } ?? 0
    let wave = waves + 2
    func stop(_ reason: String) throws -> WaveOutcome {
      try audit(
        AuditEvent(
          kind: "confirmation.waves_stopped", at: now, messageID: id, actor: "commsd",
          detail: ["reason": reason, "wave": String(wave)]))
      return .stopped(reason: reason)
    }
    guard let request = message.confirmation, let every = request.escalateAfterSeconds else {
      return try stop("not asked")
    }
    if lifecycle.cancelledAt != nil { return try stop("cancelled") }
    if lifecycle.supersededBy != nil { return try stop("superseded") }
    if let expiry = message.expiresAt, expiry <= now { return try stop("expired") }

    let confirmed = Set(
      try rows("SELECT recipient_id FROM confirmations WHERE message_id = ?", [id.rawValue])
        .map { try $0[0] as String })
    let chased = try chasedPeople(of: id, confirmed: confirmed)
    if let needed = request.responsesNeeded, chased.confirmedPeople >= needed {
      return try stop("enough confirmed")
    }
    if chased.people.isEmpty { return try stop("all confirmed") }

    let made = plan(
      WavePlanner.Input(
        message: message, request: request, wave: wave, chased: chased.people,
        confirmed: confirmed, bulletins: try bulletins(of: id), now: now))
    let stamp = Timestamp.format(now)
    var writer = DeliveryWriter(self)
    for planned in made.deliveries { try writer.add(planned.delivery, now: stamp) }
    try writer.finish()
    for planned in made.deliveries {
      try execute(
        "INSERT INTO wave_deliveries (delivery_id, message_id, wave, chasing) VALUES (?, ?, ?, ?)",
        [
          planned.delivery.id.rawValue, id.rawValue, wave,
          JSONCoding.string(planned.chasing),
        ])
    }
    let target = request.escalateTo?.description ?? "next contact"
    try execute(
      """
      INSERT INTO confirmation_waves (message_id, wave, planned_at, target, chased, deliveries)
      VALUES (?, ?, ?, ?, ?, ?)
      """, [id.rawValue, wave, stamp, target, chased.people.count, made.deliveries.count])
    // Wave n is due (n - 1) escalation periods after acceptance, up to `cycles` waves.
    if wave - 1 < request.cycles {
      let next = message.startsAt.addingTimeInterval(TimeInterval(every) * Double(wave))
      try execute(
        "UPDATE messages SET next_wave_at = ? WHERE id = ?", [Timestamp.format(next), id.rawValue])
    }
    var detail = [
      "wave": String(wave), "target": target, "chased": String(chased.people.count),
      "deliveries": String(made.deliveries.count),
    ]
    if !made.unsent.isEmpty { detail["nobody_for"] = String(made.unsent.count) }
    try audit(
      AuditEvent(
        kind: "confirmation.wave", at: now, messageID: id, actor: "commsd", detail: detail,
        personal: made.unsent.isEmpty ? [:] : ["nobody_for": made.unsent.joined(separator: ",")]))
    if !made.deliveries.isEmpty { notify(.work) }
    return .planned(wave: wave, chased: chased.people.count, deliveries: made.deliveries.count)
  }

  /// The people of the message's first wave who have not confirmed, each
  /// with the audience and the contact of their latest delivery; and how
  /// many of the first wave's people did confirm.
  private func chasedPeople(of id: MessageID, confirmed: Set<String>) throws
    -> (people: [WavePlanner.Chased], confirmedPeople: Int)
  {
    var people: [String: WavePlanner.Chased] = [:]
    var order: [String] = []
    var latest: [String: Int] = [:]
    // Ids grow with time: the last row of a person is their latest delivery.
    for row in try rows(
      """
      SELECT d.recipient_id, d.audience, d.contact_index, w.wave
      FROM deliveries d LEFT JOIN wave_deliveries w ON w.delivery_id = d.id
      WHERE d.message_id = ? ORDER BY d.id
      """, [id.rawValue])
    {
      let person: String = try row[0]
      latest[person] = try row[2]
      if (try row[3] as Int?) == nil, people[person] == nil {
        people[person] = WavePlanner.Chased(
          id: person, audience: try row[1], lastContactIndex: 0)
        order.append(person)
      }
    }
    let chased = order.filter { !confirmed.contains($0) }.compactMap { person in
      people[person].map {
        WavePlanner.Chased(
          id: $0.id, audience: $0.audience, lastContactIndex: latest[person] ?? 0)
      }
    }
    return (chased, order.count - chased.count)
  }
}
