import Foundation

/// Gathering an after-action report (`commsd audit report`): per message and
/// audience, who was reached when, over which channel, and who was not.
extension Store {
  /// The report on one message, or nil when there is no such message.
  public func afterActionReport(message id: MessageID, at now: Date) async throws
    -> AfterActionReport?
  {
    try await read { reader in
      try Self.reportSection(reader, id).map {
        AfterActionReport(
          scope: .message(id.rawValue), generatedAt: now, messages: [$0],
          inquiries: InquiryFigures(
            try reader.rows("\(StoreRows.inquiryColumns) WHERE message_id = ?", [id.rawValue])
              .map(StoreRows.inquiry(from:))),
          approvals: ApprovalFigures(try reader.approvalRecords(of: id)))
      }
    }
  }

  /// The report on every message accepted from `since` (inclusive) to
  /// `until` (exclusive), in the order accepted. Digests commsd composed are
  /// left out: what they carried is counted with the messages they carried.
  public func afterActionReport(since: Date, until: Date?, at now: Date) async throws
    -> AfterActionReport
  {
    try await read { reader in
      let ids = try reader.strings(
        """
        SELECT id FROM messages
        WHERE accepted_at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR accepted_at < ?2)
          AND fingerprint != 'digest' AND kind NOT IN \(MessageKind.conversationSQL)
        ORDER BY accepted_at, id
        """, [Timestamp.format(since), until.map(Timestamp.format)])
      // The conversations (a question's copies, acknowledgements, answers)
      // are no bulletins: they are counted as questions, not as messages.
      let inquiries = try reader.rows(
        """
        \(StoreRows.inquiryColumns)
        WHERE received_at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR received_at < ?2)
        """, [Timestamp.format(since), until.map(Timestamp.format)]
      ).map(StoreRows.inquiry(from:))
      return AfterActionReport(
        scope: .period(since: since, until: until), generatedAt: now,
        messages: try ids.compactMap { try Self.reportSection(reader, MessageID(rawValue: $0)) },
        inquiries: InquiryFigures(inquiries),
        approvals: ApprovalFigures(
          try reader.rows(
            """
            \(ApprovalRecord.columns)
            WHERE requested_at >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR requested_at < ?2)
            """, [Timestamp.format(since), until.map(Timestamp.format)]
          ).map { try ApprovalRecord(from: $0, votes: []) }))
    }
  }

  private static func reportColumns(_ reader: StoreReader) -> String {
    """
    channel, endpoint, address, state, attempts, last_status, last_error, delivered_at,
    contact_index, \(reader.jsonArrayLength("contacts")), receipt_at
    """
  }

  private static func reportAttempt(_ row: StoredRow) throws -> ReportAttempt {
    let channel: String = try row[0]
    let endpoint: String? = try row[1]
    let index: Int = try row[8]
    let contacts: Int = try row[9] ?? 1
    return ReportAttempt(
      channel: channel == Channel.email.rawValue ? channel : "webhook:\(endpoint ?? "")",
      address: try row[2], state: DeliveryState(rawValue: try row[3]), attempts: try row[4],
      lastStatus: try row[5], lastError: try row[6],
      deliveredAt: (try row[7] as String?).flatMap(Timestamp.parse),
      lastContact: index + 1 >= contacts, contacts: max(contacts, 1),
      contactIndex: index, byReceipt: (try row[10] as String?) != nil)
  }

  private static func reportSection(_ reader: StoreReader, _ id: MessageID) throws
    -> MessageSection?
  {
    guard let (message, lifecycle) = try Self.messageWithLifecycle(reader, id) else { return nil }
    var section = MessageSection(
      id: message.id.rawValue,
      subject: message.content(for: message.defaultLanguage).content.subject,
      priority: message.priority.rawValue, kind: message.kind.rawValue,
      mode: message.mode.rawValue, sender: message.sender.description,
      acceptedAt: message.acceptedAt,
      plannedAt: lifecycle.plannedAt, audiences: [])
    section.supersedes = message.supersedes?.rawValue
    section.supersededBy = lifecycle.supersededBy
    section.cancelledAt = lifecycle.cancelledAt
    section.cancelReason = lifecycle.cancelReason
    section.expiresAt = message.expiresAt
    section.retraction = lifecycle.retraction
    section.retractionOf = message.retractionOf?.rawValue

    // The people per audience, with their deliveries; a digested delivery
    // stands for the digest's deliveries to that person (its fallbacks too).
    var people: [String: [ReportPerson]] = [:]
    var audienceOrder = message.audiences
    let columns = reportColumns(reader)
    let rows = try reader.rows(
      """
      SELECT \(columns), audience, recipient_id, recipient_name, language,
        (SELECT d.message_id FROM deliveries d WHERE d.id = deliveries.digest_id)
      FROM deliveries WHERE message_id = ?
        AND NOT EXISTS (SELECT 1 FROM wave_deliveries w WHERE w.delivery_id = deliveries.id)
      ORDER BY audience, recipient_id, contact_index
      """, [id.rawValue])
    let digestRows = """
      SELECT \(columns) FROM deliveries WHERE message_id = ? AND recipient_id = ?
      ORDER BY contact_index
      """
    var current: (audience: String, person: ReportPerson)?
    func flush() {
      guard let current else { return }
      people[current.audience, default: []].append(current.person)
      if !audienceOrder.contains(current.audience) { audienceOrder.append(current.audience) }
    }
    for row in rows {
      let audience: String = try row[11]
      let recipient: String = try row[12]
      if current?.audience != audience || current?.person.id != recipient {
        flush()
        current = (audience, ReportPerson(id: recipient, name: try row[13], language: try row[14]))
      }
      if let digestMessage: String = try row[15] {
        let carried = try reader.rows(digestRows, [digestMessage, recipient])
        current?.person.attempts += try carried.map(reportAttempt)
      } else {
        current?.person.attempts.append(try reportAttempt(row))
      }
    }
    flush()
    section.audiences = audienceOrder.map { audience in
      figures(audience, people: people[audience] ?? [], acceptedAt: message.startsAt)
    }
    if let request = message.confirmation {
      let confirmations = try Self.confirmations(reader, message)
      for index in section.audiences.indices {
        let audience = section.audiences[index]
        var names: [String: String] = [:]
        for person in people[audience.audience] ?? [] { names[person.id] = person.name }
        section.audiences[index].confirmation = ConfirmationSummary.make(
          request: request, acceptedAt: message.startsAt, people: names,
          unreachable: Set(audience.unreachablePeople.map(\.id)), confirmations: confirmations)
      }
      let waves = try Self.waves(reader, message)
      if !waves.isEmpty {
        let lines = try reader.rows(
          """
          SELECT \(StoreRows.lineColumns(reader)) FROM deliveries
          WHERE id IN (SELECT delivery_id FROM wave_deliveries WHERE message_id = ?)
          """, [id.rawValue]
        ).map(StoreRows.deliveryLine(from:))
        section.waves = ConfirmationSummary.waves(
          waves, lines: lines, confirmations: confirmations)
      }
    }
    return section
  }

  /// Sorts each person into reached, unconfirmed, unreachable, withdrawn or pending, and
  /// counts channels and languages.
  private static func figures(_ audience: String, people: [ReportPerson], acceptedAt: Date)
    -> AudienceFigures
  {
    var figures = AudienceFigures(audience: audience)
    var channels: [String: ChannelFigures] = [:]
    var languages: [String: LanguageFigures] = [:]
    for person in people {
      figures.recipients += 1
      languages[person.language, default: LanguageFigures(language: person.language)]
        .recipients += 1
      for attempt in person.attempts {
        var channel = channels[attempt.channel] ?? ChannelFigures(channel: attempt.channel)
        channel.deliveries += 1
        channel.attempts += attempt.attempts
        if attempt.state == .delivered { channel.delivered += 1 }
        if attempt.state == .dead || attempt.state == .undeliverable { channel.dead += 1 }
        channels[attempt.channel] = channel
      }
      let delivered = person.attempts.filter { $0.state == .delivered }
      if !delivered.isEmpty {
        figures.reached += 1
        if delivered.contains(where: \.byReceipt) { figures.reachedByHandset += 1 }
        if delivered.allSatisfy({ $0.contactIndex > 0 }) { figures.reachedByFallback += 1 }
        languages[person.language]?.reached += 1
        if let first = delivered.compactMap(\.deliveredAt).min() {
          figures.reachedTimes.append(first)
          figures.delays.append(max(0, first.timeIntervalSince(acceptedAt)))
        }
      } else if person.attempts.contains(where: { $0.state == .sent || $0.state == .unconfirmed }) {
        figures.unconfirmed += 1
      } else if let last = person.attempts.last(where: {
        ($0.state == .dead || $0.state == .undeliverable) && $0.lastContact
      }) {
        figures.unreachable += 1
        figures.unreachablePeople.append(
          UnreachablePerson(
            id: person.id, name: person.name, contactsTried: last.contacts,
            lastContact: "\(last.channel) \(last.address)", lastStatus: last.lastStatus,
            lastError: last.lastError))
      } else if !person.attempts.isEmpty,
        person.attempts.allSatisfy({ $0.state?.isFinal == true && $0.state != .digested }),
        person.attempts.contains(where: { $0.state?.isWithdrawal == true })
      {
        figures.withdrawn += 1
      } else {
        figures.pending += 1
      }
    }
    figures.delays.sort()
    figures.reachedTimes.sort()
    figures.channels = channels.values.sorted { $0.channel < $1.channel }
    figures.languages = languages.values.sorted { $0.language < $1.language }
    figures.unreachablePeople.sort { $0.id < $1.id }
    return figures
  }
}

/// One delivery as the report sees it.
private struct ReportAttempt {
  var channel: String
  var address: String
  var state: DeliveryState?
  var attempts: Int
  var lastStatus: Int?
  var lastError: String?
  var deliveredAt: Date?
  /// Whether it was to the person's last contact (no fallback after it).
  var lastContact: Bool
  var contacts: Int
  /// 0 for the person's first contact; more for a fallback.
  var contactIndex: Int
  /// Whether a gateway's receipt decided its state.
  var byReceipt: Bool
}

/// One person of one audience, with every delivery tried for them.
private struct ReportPerson {
  var id: String
  var name: String
  var language: String
  var attempts: [ReportAttempt] = []
}
