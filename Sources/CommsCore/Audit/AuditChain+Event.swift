import Foundation

extension AuditChain.Link {
  /// `event` as the link after `head`, as every store writes it: personal
  /// data sealed beside the chain under a commitment in the detail
  /// (`AuditPersonal`), and the hash computed.
  init(event: AuditEvent, after head: (sequence: Int64, hash: String)) {
    var detail = event.detail
    var written = event.writtenDetail
    if let text = written, !event.personal.isEmpty || !detail.isEmpty {
      // Sealing adds a member, and so would a detail set afterwards: the
      // written one is read back and joined (no event made here has both;
      // this keeps the pair total).
      let members = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
      detail.merge(members ?? [:]) { own, _ in own }
      written = nil
    }
    var personal: String?
    if !event.personal.isEmpty {
      let sealed = AuditPersonal.seal(event.personal)
      detail[AuditPersonal.commitmentKey] = sealed.commitment
      personal = sealed.stored
    }
    self.init(
      sequence: head.sequence + 1, at: Timestamp.format(event.at), kind: event.kind,
      messageID: event.messageID?.rawValue, deliveryID: event.deliveryID?.rawValue,
      actor: event.actor, detail: written ?? JSONWriter.object(detail),
      previous: head.hash, personal: personal)
    hash = expectedHash
  }
}
