import Foundation

/// The deliveries planned for one message.
public struct Plan: Sendable {
  public var messageID: MessageID
  public var deliveries: [Delivery]
  /// Recipients per audience, for the `message.planned` audit event.
  public var recipientsPerAudience: [String: Int]

  public init(messageID: MessageID, deliveries: [Delivery], recipientsPerAudience: [String: Int]) {
    self.messageID = messageID
    self.deliveries = deliveries
    self.recipientsPerAudience = recipientsPerAudience
  }
}

/// A plan written while it is made: `produce` hands each delivery to `add`
/// inside the store's planning transaction and returns the recipients per
/// audience. A fan-out to 100,000 people thus never exists in memory at once
/// (measured: holding a 100,000-delivery plan raised the daemon's peak RSS
/// by about 70 MB), and the plan is still written all or nothing.
public struct StreamedPlan: Sendable {
  public var messageID: MessageID
  public var produce: @Sendable (_ add: (Delivery) throws -> Void) throws -> [String: Int]

  public init(
    messageID: MessageID,
    produce: @escaping @Sendable (_ add: (Delivery) throws -> Void) throws -> [String: Int]
  ) {
    self.messageID = messageID
    self.produce = produce
  }

  /// A plan already in memory (small ones, tests).
  public init(_ plan: Plan) {
    messageID = plan.messageID
    produce = { add in
      for delivery in plan.deliveries { try add(delivery) }
      return plan.recipientsPerAudience
    }
  }
}
