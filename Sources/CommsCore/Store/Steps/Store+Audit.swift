/// Audit events not tied to a state change (configuration loaded, an
/// export, a refusal).
extension Store {
  /// Appends `events` to the audit chain, in one transaction.
  public func appendAudit(_ events: [AuditEvent]) async throws {
    try await write { transaction in
      for event in events { try transaction.audit(event) }
    }
  }
}
