/// The per-delivery tag of an email's Reply-To: `paaroerende@kommune.example`
/// becomes `paaroerende+dlv_01J…@kommune.example` (subaddressing, RFC 5233;
/// Postfix's `recipient_delimiter = +`), so a reply that comes back through
/// `commsd mailgate` names the delivery, and so the person and bulletin,
/// it answers, whichever address it is sent from.
public enum ReplyTag {
  /// `address` with `delivery` as its subaddress; the plain address when
  /// the tagged one would not be valid (a local part near 64 octets).
  public static func tagged(_ address: EmailAddress, delivery: DeliveryID) -> EmailAddress {
    guard let at = address.address.lastIndex(of: "@") else { return address }
    let local = address.address[..<at]
    let domain = address.address[at...]
    return
      (try? EmailAddress(
        address: "\(local)+\(delivery.rawValue)\(domain)", displayName: address.displayName))
      ?? address
  }

  /// The delivery a recipient address names (`…+dlv_…@…`), if it has a
  /// well-formed tag (any case: some MTAs lower-case the address).
  public static func delivery(in address: String) -> DeliveryID? {
    guard let at = address.lastIndex(of: "@") else { return nil }
    let local = address[..<at]
    guard let plus = local.range(of: "+dlv_", options: [.caseInsensitive, .backwards]) else {
      return nil
    }
    let id = "dlv_" + local[plus.upperBound...].prefix(26).uppercased()
    return DeliveryID.isWellFormed(id) && local[plus.upperBound...].count == 26
      ? DeliveryID(rawValue: id) : nil
  }
}
