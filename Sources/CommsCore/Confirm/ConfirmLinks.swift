import Crypto
import Foundation

/// The link in a message that asks for confirmation: one per delivery,
/// `PUBLIC_URL/c/<delivery ULID>.<MAC>`, where the MAC is HMAC-SHA256 of
/// the delivery id under the link key (`[confirm] link_key_file`), cut to
/// 16 bytes (128 bits) and Base64url: 49 characters after `/c/`, short
/// enough for an SMS. No login: the link is the credential, for one
/// delivery. Opening it (GET) shows the message and a button; only the
/// button's POST confirms, so link scanners and previews confirm nothing.
/// The store makes it single-use (a person confirms once) and the page
/// refuses it after `[confirm] link_valid`.
public struct ConfirmLinks: Sendable {
  /// The link key, keyed once: a link is made for every delivery of a
  /// message that asks for confirmation.
  let key: KeyedSHA256
  /// `[confirm] public_url`, as the readers' phones reach the API (no
  /// trailing slash).
  public let publicURL: String

  public init(key: [UInt8], publicURL: String) {
    self.key = KeyedSHA256(key: key)
    self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
  }

  /// The links of `settings`, with its key (made once, private, if
  /// missing).
  public static func load(_ settings: ConfirmSettings) throws(RetentionKey.Failure) -> ConfirmLinks
  {
    ConfirmLinks(
      key: try RetentionKey.load(path: settings.linkKeyFile),
      publicURL: settings.publicURL ?? "")
  }

  /// The token for `delivery` (what follows `/c/`).
  public func token(for delivery: DeliveryID) -> String {
    let ulid = delivery.rawValue.dropFirst(4)
    return "\(ulid).\(mac(String(ulid), purpose: "confirm"))"
  }

  /// The link for `delivery`.
  public func url(for delivery: DeliveryID) -> String {
    "\(publicURL)/c/\(token(for: delivery))"
  }

  /// The line under a message that asks for confirmation, in email and
  /// SMS alike, in the reader's language (Danish, else English).
  public func line(for delivery: DeliveryID, language: String) -> String {
    Self.line(url(for: delivery), language: language)
  }

  /// The line for `delivery` of `message`, or nil when it asks for no
  /// confirmation (or, for an approval notice, the line to decide by).
  public func line(for delivery: Delivery, of message: Message) -> String? {
    if message.kind == .approval {
      let url = approvalURL(for: delivery.id)
      return delivery.language == "da"
        ? "Godkend eller afvis: \(url)" : "Approve or reject: \(url)"
    }
    return message.confirmation == nil ? nil : line(for: delivery.id, language: delivery.language)
  }

  /// The page a card's button opens for `delivery` of `message` (the
  /// confirmation page, or an approval notice's decision page), or nil.
  public func url(for delivery: Delivery, of message: Message) -> String? {
    if message.kind == .approval { return approvalURL(for: delivery.id) }
    return message.confirmation == nil ? nil : url(for: delivery.id)
  }

  /// The approval link of an approver's notice: `PUBLIC_URL/a/<ULID>.<MAC>`,
  /// the MAC under the same key but for another purpose, so a
  /// confirmation token is no approval token.
  public func approvalURL(for delivery: DeliveryID) -> String {
    let ulid = delivery.rawValue.dropFirst(4)
    return "\(publicURL)/a/\(ulid).\(mac(String(ulid), purpose: "approve"))"
  }

  /// The notice delivery an approval token from outside names, or nil.
  public func delivery(fromApprovalToken token: String) -> DeliveryID? {
    delivery(fromToken: token, purpose: "approve")
  }

  static func line(_ url: String, language: String) -> String {
    language == "da"
      ? "Bekræft, at du har læst den: \(url)" : "Please confirm you have read it: \(url)"
  }

  /// A line as long as a real one, for counting SMS before any delivery
  /// exists (intake, the dry run); nil when no link goes in `message`.
  public static func sampleLine(
    _ settings: ConfirmSettings, confirming: Bool, language: String
  ) -> String? {
    guard confirming, let url = settings.publicURL else { return nil }
    return line(url + "/c/" + String(repeating: "0", count: 49), language: language)
  }

  /// The delivery a token from outside names, or nil when it is not one
  /// this key made (any length, any bytes: never a trap).
  public func delivery(fromToken token: String) -> DeliveryID? {
    delivery(fromToken: token, purpose: "confirm")
  }

  private func delivery(fromToken token: String, purpose: String) -> DeliveryID? {
    guard token.utf8.count == 26 + 1 + 22 else { return nil }
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, DeliveryID.isWellFormed("dlv_" + parts[0]) else { return nil }
    let expected = mac(String(parts[0]), purpose: purpose)
    guard TokenCheck.constantTimeEqual(Array(expected.utf8), Array(parts[1].utf8)) else {
      return nil
    }
    return DeliveryID(rawValue: "dlv_" + parts[0])
  }

  private func mac(_ ulid: String, purpose: String) -> String {
    let code = key.code(of: "\(purpose):dlv_\(ulid)")
    return Data(Data(code).prefix(16)).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }
}
