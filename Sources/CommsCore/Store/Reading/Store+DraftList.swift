import Foundation

/// Drafts as they are read back (`commsd draft list|show`, `/v1/drafts`).
extension Store {
  /// The open drafts, most recently changed first; with `all`, the closed
  /// ones too.
  public func drafts(all: Bool = false, limit: Int = 200) async throws -> [Draft] {
    try await read { reader in
      try reader.rows(
        """
        SELECT \(Self.draftColumns) FROM drafts \(all ? "" : "WHERE state = 'open'")
        ORDER BY updated_at DESC, id DESC LIMIT ?
        """, [limit]
      ).map(Self.draft(from:))
    }
  }

  public func draft(_ id: DraftID) async throws -> Draft? {
    try await read { reader in
      try reader.rows("SELECT \(Self.draftColumns) FROM drafts WHERE id = ?", [id.rawValue])
        .first.map(Self.draft(from:))
    }
  }

  static var draftColumns: String {
    """
    id, state, content, revision, created_by, created_at, updated_by, updated_at, closed_by,
    closed_at, message_id
    """
  }

  static func draft(from row: some TableRow) throws -> Draft {
    let id: String = try row[0]
    guard let state = Draft.State(rawValue: try row[1]),
      let createdAt = Timestamp.parse(try row[5]), let updatedAt = Timestamp.parse(try row[7])
    else { throw StoreError.corrupt("draft \(id)") }
    return Draft(
      id: DraftID(rawValue: id), state: state,
      content: try JSONCoding.decoder().decode(
        DraftContent.self, from: Data((try row[2] as String).utf8)),
      revision: try row[3], createdBy: try row[4], createdAt: createdAt, updatedBy: try row[6],
      updatedAt: updatedAt, closedBy: try row[8],
      closedAt: (try row[9] as String?).flatMap(Timestamp.parse),
      messageID: (try row[10] as String?).map(MessageID.init(rawValue:)))
  }
}
