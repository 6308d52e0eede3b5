import Foundation

/// Reading `[audiences.NAME.inbound]` and `[inbound]` (see `InboundRouting`).
extension ConfigurationReader {
  /// One routing table; `acknowledge` defaults to true in an audience's
  /// table (its people are known) and is not offered for unknown senders.
  func readInboundRouting(
    _ table: inout ConfigTable, endpoints: [String: Endpoint], acknowledges: Bool
  ) -> InboundRouting {
    var routing = InboundRouting(acknowledge: acknowledges)
    for (text, line) in table.strings("route") ?? [] {
      guard let route = InquiryRoute(parsing: text) else {
        table.fail(
          "route",
          "expected \"email:ADDRESS\", \"webhook:ENDPOINT\" or \"teams:ENDPOINT\", found \"\(Printable.quoted(text))\"",
          line: line)
        continue
      }
      switch route {
      case .email(let address):
        do { _ = try EmailAddress(parsing: address) } catch {
          table.fail("route", "\(route) is not a valid address: \(error)", line: line)
          continue
        }
      case .webhook(let name), .teams(let name):
        guard let endpoint = endpoints[name] else {
          let known = endpoints.keys.sorted().joined(separator: ", ")
          table.fail(
            "route", "\(route): no endpoint \"\(name)\" is configured (configured: \(known))",
            line: line)
          continue
        }
        if endpoint.format.sendsSMS {
          table.fail(
            "route", "\(route): \(name) sends SMS and takes a phone number; route to a hook",
            line: line)
          continue
        }
        if case .teams = route, endpoint.format != .teamsWorkflows {
          table.fail(
            "route", "\(route): \(name) has format \(endpoint.format.name), not teams-workflows",
            line: line)
          continue
        }
      }
      routing.routes.append(route)
    }
    if acknowledges {
      if let value = table.bool("acknowledge") { routing.acknowledge = value }
      if let every = table.duration("acknowledge_every", in: .zero...(.seconds(7 * 86_400))) {
        routing.acknowledgeEvery = every
      }
      if var texts = table.table("acknowledgement") {
        for language in texts.keys {
          guard let text = texts.string(language) else { continue }
          if text.isEmpty || text.count > 600 {
            texts.fail(language, "expected a text of 1 to 600 characters")
          } else {
            routing.acknowledgement[language] = text
          }
        }
        texts.rejectUnknownKeys()
      }
    }
    routing.answerWithin = table.duration(
      "answer_within", in: .seconds(60)...(.seconds(30 * 86_400)))
    return routing
  }

  func readInbound(_ table: ConfigTable?, endpoints: [String: Endpoint]) -> InboundSettings {
    var settings = InboundSettings()
    guard var table else { return settings }
    if let within = table.duration("match_within", in: .seconds(3600)...(.seconds(366 * 86_400))) {
      settings.matchWithin = within
    }
    let routing = readInboundRouting(&table, endpoints: endpoints, acknowledges: false)
    if !routing.routes.isEmpty || routing.answerWithin != nil { settings.unmatched = routing }
    table.rejectUnknownKeys()
    return settings
  }
}
