import Foundation

extension CAPReader {
  /// The alert in the `<alert>` tree, with the rules that tie its fields
  /// together (references, restriction, addresses).
  static func alert(_ node: CAPNode) throws(CAPError) -> CAPAlert {
    let fields = CAPFields(node)
    let identifier = try CAPFields.identifier(try fields.required("identifier"))
    let sender = try CAPFields.identifier(try fields.required("sender"))
    let sent = try CAPFields.date(try fields.required("sent"))
    let status: CAPStatus = try fields.choice("status")
    let msgType: CAPMessageType = try fields.choice("msgType")
    let scope: CAPScope = try fields.choice("scope")
    let restriction = fields.text("restriction")
    let addresses = fields.text("addresses")
    if scope == .restricted, restriction?.allSatisfy(\.isWhitespace) ?? true {
      throw CAPError("alert/restriction", "required when scope is Restricted", line: node.line)
    }
    if scope == .private, addresses?.allSatisfy(\.isWhitespace) ?? true {
      throw CAPError("alert/addresses", "required when scope is Private", line: node.line)
    }
    let references = try fields.optional("references").map(Self.references) ?? []
    if msgType.needsReferences, references.isEmpty {
      throw CAPError(
        "alert/references", "required when msgType is \(msgType.rawValue)", line: node.line)
    }
    var infos: [CAPInfo] = []
    for child in fields.all("info") {
      infos.append(try info(child))
    }
    return CAPAlert(
      identifier: identifier, sender: sender, sent: sent.date, sentText: sent.text,
      status: status, msgType: msgType, source: fields.text("source"), scope: scope,
      restriction: restriction, addresses: addresses, codes: fields.all("code").map(\.text),
      note: fields.text("note"), references: references, incidents: fields.text("incidents"),
      infos: infos)
  }

  /// `<references>`: whitespace-separated `sender,identifier,sent` triples.
  /// Neither sender nor identifier may hold a comma or space, which is what
  /// makes the split unambiguous.
  static func references(_ node: CAPNode) throws(CAPError) -> [CAPReference] {
    let triples = node.text.split(whereSeparator: \.isWhitespace)
    guard !triples.isEmpty else {
      throw CAPError(node.path, "must list at least one sender,identifier,sent", line: node.line)
    }
    var references: [CAPReference] = []
    for triple in triples {
      let parts = triple.split(separator: ",", omittingEmptySubsequences: false)
      let context = "in \(CAPFields.quoted(triple)), "
      guard parts.count == 3 else {
        throw CAPError(
          node.path, "\(CAPFields.quoted(triple)) is not a sender,identifier,sent triple",
          line: node.line)
      }
      try CAPFields.checkIdentifier(parts[0], node.path, node.line, in: context + "sender ")
      try CAPFields.checkIdentifier(parts[1], node.path, node.line, in: context + "identifier ")
      guard CAPDateTime.parse(parts[2]) != nil else {
        throw CAPError(
          node.path, "\(context)sent \(CAPFields.quoted(parts[2])) is not a CAP date-time",
          line: node.line)
      }
      references.append(
        CAPReference(sender: String(parts[0]), identifier: String(parts[1]), sent: String(parts[2]))
      )
    }
    return references
  }
}
