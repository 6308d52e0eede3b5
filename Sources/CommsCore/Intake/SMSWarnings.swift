import Foundation

/// What a crisis communicator should hear at once about the SMS readers of
/// a message they just sent: where the SMS text (the shortened rendering or
/// the audience's `sms_format`) had to be cut to fit an endpoint's
/// `max_sms_segments`. A written SMS text is never cut: intake refuses one
/// that does not fit. The dry run shows the same per group, with the text.
extension Intake {
  /// One warning per audience, language and SMS endpoint whose readers get
  /// a cut text. Rendered as the first reader would get it (the audience's
  /// current bulletin number, no name: a `sms_format` that shows
  /// `recipient_name` is longer for each reader by their name).
  ///
  /// Cheap when it has nothing to say (no SMS endpoint used by the
  /// audiences, or an SMS text written for every language): it reads the
  /// store only to number the bulletins when there is something to render.
  public func smsWarnings(for message: Message, bulletins known: [String: Int]? = nil) async
    -> [String]
  {
    struct Readers: Hashable, Comparable {
      var audience: String
      var endpoint: String
      /// The language they get: theirs if the message has it, else the default.
      var language: String
      static func < (a: Readers, b: Readers) -> Bool {
        (a.audience, a.endpoint, a.language) < (b.audience, b.endpoint, b.language)
      }
    }
    var found = Set<Readers>()
    for audience in message.audiences {
      for reader in directory.endpointReaders(of: audience) {
        guard configuration.endpoints[reader.endpoint]?.format.sendsSMS == true else { continue }
        let chosen = message.content(for: reader.language)
        if chosen.content.sms == nil {
          found.insert(
            Readers(audience: audience, endpoint: reader.endpoint, language: chosen.language))
        }
      }
    }
    guard !found.isEmpty else { return [] }
    let bulletins: [String: Int]
    if let known {
      bulletins = known
    } else {
      bulletins = (try? await store.lastBulletins()) ?? [:]
    }
    var warnings: [String] = []
    for readers in found.sorted() {
      guard let endpoint = configuration.endpoints[readers.endpoint] else { continue }
      let audienceName = readers.audience
      let audience = configuration.audiences[audienceName]
      let language = readers.language
      let delivery = Delivery(
        id: DeliveryID(rawValue: "dlv_preview"), messageID: message.id, recipientID: "",
        recipientName: "", audience: audienceName,
        contact: .webhook(endpoint: endpoint.name, address: "+4500000000"), contactIndex: 0,
        bulletin: max(1, bulletins[audienceName] ?? 1), language: language,
        priority: message.priority, state: .queued, dueAt: message.acceptedAt,
        createdAt: message.acceptedAt)
      let rendered = DeliveryContent.render(delivery, message, audience: audience)
      let sms = WebhookTransport.smsText(
        delivery, message, audience: audience, rendered: rendered, endpoint: endpoint,
        confirmLine: ConfirmLinks.sampleLine(
          configuration.confirm, confirming: message.confirmation != nil, language: language))
      if sms.source == .cut {
        warnings.append(
          Self.cutWarning(
            audience: audienceName, language: language,
            channel: "\(endpoint.name) (\(endpoint.format.name))", segments: sms.segments.count))
      }
    }
    return warnings
  }

  /// The words of the warning, the same here and in the dry run.
  static func cutWarning(audience: String, language: String, channel: String, segments: Int)
    -> String
  {
    "\(audience) (\(language)) via \(channel): the SMS text is cut at a word to fit \(segments) SMS (max_sms_segments); give an SMS text (--sms-body, sms_body) to choose the words"
  }
}
