import Foundation

/// Where a question is sent for the people who answer it: an email
/// address, a webhook endpoint (commsd's format carries the inquiry as
/// JSON), or a Teams workflow. Written `email:ADDRESS`, `webhook:ENDPOINT`,
/// `teams:ENDPOINT`.
public enum InquiryRoute: Sendable, Hashable, CustomStringConvertible {
  case email(String)
  case webhook(String)
  case teams(String)

  /// Parses one `route` entry; nil when it has none of the three forms.
  public init?(parsing text: String) {
    guard let colon = text.firstIndex(of: ":") else { return nil }
    let kind = text[..<colon]
    let rest = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
    guard !rest.isEmpty else { return nil }
    switch kind {
    case "email": self = .email(rest)
    case "webhook": self = .webhook(rest)
    case "teams": self = .teams(rest)
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .email(let address): "email:\(address)"
    case .webhook(let endpoint): "webhook:\(endpoint)"
    case .teams(let endpoint): "teams:\(endpoint)"
    }
  }

  /// The contact a copy of the question goes to.
  public var contact: Contact {
    switch self {
    case .email(let address): .email(address: address)
    case .webhook(let endpoint), .teams(let endpoint): .webhook(endpoint: endpoint, address: "")
    }
  }
}

/// What happens to questions from an audience's people
/// (`[audiences.NAME.inbound]`), or to questions from people commsd does
/// not know (`[inbound]`).
///
/// ```toml
/// [audiences.relatives.inbound]
/// route = ["email:paaroerende@kommune.example", "webhook:carebook"]
/// acknowledge = true          # tell the sender, in their language, it arrived
/// acknowledge_every = "1h"    # at most one acknowledgement per sender per hour
/// answer_within = "4h"        # remind the handlers of a question still open then
/// ```
public struct InboundRouting: Sendable, Equatable {
  public var routes: [InquiryRoute]
  public var acknowledge: Bool
  /// The acknowledgement's text per language, replacing the built-in one.
  public var acknowledgement: [String: String]
  /// Dosing of acknowledgements: at most one to a sender per this long.
  public var acknowledgeEvery: Duration
  /// A question still open this long after it came is brought back to the
  /// handlers (once); nil: never.
  public var answerWithin: Duration?

  public init(
    routes: [InquiryRoute] = [], acknowledge: Bool = false,
    acknowledgement: [String: String] = [:], acknowledgeEvery: Duration = .seconds(3600),
    answerWithin: Duration? = nil
  ) {
    self.routes = routes
    self.acknowledge = acknowledge
    self.acknowledgement = acknowledgement
    self.acknowledgeEvery = acknowledgeEvery
    self.answerWithin = answerWithin
  }
}

/// Everything intake of a question needs from the configuration: the
/// routing per audience, the routing of unknown senders, and how far back
/// a person's latest bulletin counts as the one they answer.
public struct InboundPolicy: Sendable {
  public var audiences: [String: InboundRouting]
  /// For questions from people commsd does not know.
  public var unmatched: InboundRouting?
  public var matchWithin: Duration
  public var defaultLanguage: String
  /// Audience names as handlers read them (`display_name`).
  public var displayNames: [String: String]

  public init(
    audiences: [String: InboundRouting] = [:], unmatched: InboundRouting? = nil,
    matchWithin: Duration = .seconds(14 * 86_400), defaultLanguage: String = "da",
    displayNames: [String: String] = [:]
  ) {
    self.audiences = audiences
    self.unmatched = unmatched
    self.matchWithin = matchWithin
    self.defaultLanguage = defaultLanguage
    self.displayNames = displayNames
  }

  /// Whether any routing reminds its handlers (`answer_within`): without,
  /// the planning loop need not look for unanswered questions.
  public var reminds: Bool {
    unmatched?.answerWithin != nil || audiences.values.contains { $0.answerWithin != nil }
  }

  /// The routing of a question from `audience` (nil: an unknown sender).
  public func routing(for audience: String?) -> InboundRouting? {
    guard let audience else { return unmatched }
    return audiences[audience] ?? unmatched
  }
}

/// The `[inbound]` section.
///
/// ```toml
/// [inbound]
/// route = ["email:hotline@kommune.example"]  # questions from unknown senders
/// answer_within = "8h"
/// match_within = "14d"   # a person's latest bulletin this recent is the one they answer
/// ```
public struct InboundSettings: Sendable, Equatable {
  public var unmatched: InboundRouting?
  public var matchWithin: Duration = .seconds(14 * 86_400)
  public init() {}
}
