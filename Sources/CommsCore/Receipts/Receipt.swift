import Foundation

/// A provider's word on a message it took, read from its callback
/// (`POST /v1/receipts/NAME`): the handset got it, it could not be reached,
/// or it is still on its way (a status that decides nothing).
public struct Receipt: Sendable, Equatable {
  public enum Result: Sendable, Equatable {
    /// The handset's receipt.
    case delivered
    /// The provider's final failure, with its status and any error text.
    case undeliverable(reason: String)
    /// Queued, on its way, buffered …: nothing to record.
    case pending
  }

  /// commsd's delivery id as the provider returns it (GatewayAPI's
  /// `userref`, the `delivery` parameter of Twilio's callback URL).
  public var deliveryID: String?
  /// The provider's own id for the message.
  public var providerRef: String?
  public var result: Result
  /// The status as the provider wrote it (checked: short and printable).
  public var status: String
  /// When the provider says the event happened; nil when it does not say.
  public var providerTime: Date?

  public init(
    deliveryID: String?, providerRef: String?, result: Result, status: String, providerTime: Date?
  ) {
    self.deliveryID = deliveryID
    self.providerRef = providerRef
    self.result = result
    self.status = status
    self.providerTime = providerTime
  }

  /// A value from outside kept only when it is short printable ASCII: it
  /// goes into the record and the audit log.
  static func printable(_ value: Any?, max: Int = 64) -> String? {
    guard let value else { return nil }
    let text: String
    switch value {
    case let string as String: text = string
    case let number as NSNumber:
      // Whole numbers only (an id, an msisdn); never a trap on a huge one.
      guard let whole = Int64(exactly: number.doubleValue) else { return nil }
      text = String(whole)
    default: return nil
    }
    guard (1...max).contains(text.count),
      text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F })
    else { return nil }
    return text
  }
}

/// Why a callback was refused: not the provider's (401), or not a receipt
/// it would send (400). Named, never echoing what was sent.
public struct ReceiptRefusal: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    case unauthenticated
    case malformed
  }
  public var kind: Kind
  public var description: String

  init(_ kind: Kind, _ description: String) {
    self.kind = kind
    self.description = description
  }
}
