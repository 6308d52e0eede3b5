import Foundation

/// What a message would do, without queuing anything: per audience,
/// language and channel, what each kind of reader gets (subject, text, SMS
/// segments), how many are held and why, and who cannot be reached.
/// `commsd send --dry-run` and `POST /v1/messages?dry_run=true` show it.
///
/// It runs the same steps as a real send up to the store: intake's
/// validation (a request refused here is refused for real), the planner
/// with the audiences' dosing and the recipients' recent messages, and the
/// transports' rendering; it writes nothing and rings no bell.
public struct DryRunReport: Sendable, Codable, Equatable {
  /// One kind of reader: the same audience, language and channel.
  public struct Group: Sendable, Codable, Equatable {
    public var audience: String
    public var language: String
    /// `email`, or the endpoint's name and format, e.g. `sms (gatewayapi)`.
    public var channel: String
    public var readers: Int
    /// Readers who would get it now; the rest are held.
    public var now: Int
    /// Held readers by reason (quiet hours, cap reached, digest, …).
    public var held: [String: Int]
    /// What the first reader of the group gets.
    public var subject: String
    public var text: String
    /// For an SMS channel: how many SMS, and whether the text is the
    /// operator's own, shortened, or cut to fit.
    public var sms: SMS?
  }

  public struct SMS: Sendable, Codable, Equatable {
    public var segments: Int
    public var encoding: String
    public var source: String
  }

  public var groups: [Group]
  public var recipients: Int
  /// Members of the audiences (after `where`) with no contact at all.
  public var unreachable: [String]
  /// Warnings a crisis communicator should read before sending (an SMS
  /// text cut to fit, an audience nobody in it would get now).
  public var warnings: [String]
}

public enum DryRun {
  /// The report for `request` as `intake` would accept it now, with the
  /// recipients' recent messages read from the intake's store. Throws the
  /// intake's refusal (`IntakeError`, naming the field) or the store's error.
  public static func report(_ request: SendRequest, intake: Intake) async throws -> DryRunReport {
    let (message, _) = try intake.makeMessage(request)
    let configuration = intake.configuration
    let now = intake.clock.now()
    let policies = configuration.audiences.mapValues(\.dosing)
    let history = try await DosingHistory.needed(
      for: message, policies: policies, store: intake.store, now: now)
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: intake.directory, policies: policies, history: history, at: now,
      using: &generator)
    let bulletins = try await intake.store.lastBulletins()
    var unreachable: [String] = []
    for audience in message.audiences {
      for member in intake.directory.lazyMembers(of: audience, matching: message.filter)
      where member.contacts.isEmpty {
        unreachable.append(member.id)
      }
    }
    struct Key: Hashable {
      var audience: String
      var language: String
      var channel: String
    }
    var order: [Key] = []
    var groups: [Key: DryRunReport.Group] = [:]
    var warnings: [String] = []
    for var delivery in plan.deliveries {
      // The number intake would give it: the audience's next.
      delivery.bulletin = (bulletins[delivery.audience] ?? 0) + 1
      let endpoint = delivery.contact.endpointName.flatMap { configuration.endpoints[$0] }
      let channel = endpoint.map { "\($0.name) (\($0.format.name))" } ?? "email"
      let key = Key(audience: delivery.audience, language: delivery.language, channel: channel)
      if groups[key] == nil {
        order.append(key)
        groups[key] = preview(
          delivery, message, endpoint: endpoint, channel: channel, configuration: configuration)
        if let sms = groups[key]?.sms, sms.source == SMSRendering.Source.cut.rawValue {
          warnings.append(
            Intake.cutWarning(
              audience: delivery.audience, language: delivery.language, channel: channel,
              segments: sms.segments))
        }
      }
      groups[key]?.readers += 1
      if let reason = delivery.holdReason {
        groups[key]?.held[reason.rawValue, default: 0] += 1
      } else {
        groups[key]?.now += 1
      }
    }
    for audience in message.audiences {
      let mine = order.filter { $0.audience == audience }.compactMap { groups[$0] }
      if !mine.isEmpty, mine.allSatisfy({ $0.now == 0 }) {
        warnings.append("\(audience): every reader is held (see held); nobody gets it now")
      }
    }
    // Four eyes: what would wait, and what flash would pass.
    for gate in message.approvalGates ?? [] {
      let whom = gate.approvers.map(\.name).joined(separator: ", ")
      warnings.append(
        gate.state == .pending
          ? "\(gate.audience): waits for approval by \(gate.required) of \(whom) before it goes"
            + (gate.othersWait && message.audiences.count > 1
              ? " (the other audiences wait too)" : "")
          : "\(gate.audience): asks for approval, but flash is never held: it goes at once, recorded as sent without approval"
      )
    }
    return DryRunReport(
      groups: order.compactMap { groups[$0] }, recipients: plan.deliveries.count,
      unreachable: unreachable, warnings: warnings)
  }

  /// The group of `delivery`, with what its reader gets: the subject line
  /// (a Teams or Slack heading is the operator's subject), or the SMS text.
  static func preview(
    _ delivery: Delivery, _ message: Message, endpoint: Endpoint?, channel: String,
    configuration: Configuration
  ) -> DryRunReport.Group {
    let audience = configuration.audiences[delivery.audience]
    let rendered = DeliveryContent.render(delivery, message, audience: audience)
    var group = DryRunReport.Group(
      audience: delivery.audience, language: delivery.language, channel: channel, readers: 0,
      now: 0, held: [:], subject: rendered.subject, text: rendered.body, sms: nil)
    if let endpoint {
      if endpoint.format == .teamsWorkflows || endpoint.format == .slack {
        group.subject = FormatInput.heading(message, language: delivery.language)
      }
      if endpoint.format.sendsSMS {
        let sms = WebhookTransport.smsText(
          delivery, message, audience: audience, rendered: rendered, endpoint: endpoint,
          confirmLine: ConfirmLinks.sampleLine(
            configuration.confirm, confirming: message.confirmation != nil,
            language: delivery.language))
        group.subject = ""
        group.text = sms.text
        group.sms = DryRunReport.SMS(
          segments: sms.segments.count, encoding: sms.segments.encoding.rawValue,
          source: sms.source.rawValue)
      }
    }
    return group
  }
}

extension Contact {
  /// The endpoint's name for a webhook contact; nil for email.
  var endpointName: String? {
    if case .webhook(let endpoint, _) = self { return endpoint }
    return nil
  }
}

extension DryRunReport {
  /// The report as a person reads it in a terminal.
  public var text: String {
    var lines = ["Dry run: nothing was queued. \(recipients) reader(s)."]
    for group in groups {
      var head =
        "\n\(group.audience) · \(group.language) · \(group.channel): \(group.readers) reader(s)"
      if !group.held.isEmpty {
        let held = group.held.sorted { $0.key < $1.key }.map { "\($0.value) held: \($0.key)" }
        head += " (\(group.now) now; " + held.joined(separator: ", ") + ")"
      }
      lines.append(head)
      if let sms = group.sms {
        lines.append("  SMS: \(sms.segments) × \(sms.encoding), \(sms.source)")
      } else {
        lines.append("  Subject: \(group.subject)")
      }
      lines += group.text.split(separator: "\n", omittingEmptySubsequences: false).map {
        "  | \($0)"
      }
    }
    if !unreachable.isEmpty {
      lines.append("\nUnreachable (no contact): " + unreachable.joined(separator: ", "))
    }
    for warning in warnings { lines.append("\nwarning: \(warning)") }
    return lines.joined(separator: "\n")
  }
}
