/// A named group of recipients (`staff`, `relatives`, `council`, `police`, or
/// any the operator defines), with how its messages look.
public struct Audience: Sendable {
  /// The key used on the command line and in recipient lists.
  public var name: String
  /// How the audience is named to readers, e.g. `Personale`.
  public var displayName: String
  /// The name in other languages, e.g. `en` → `Staff`.
  public var displayNames: [String: String]
  /// Subject format, header, footer, signature and Reply-To.
  public var template: AudienceTemplate
  /// Quiet hours, caps, digests and gaps for this audience's members.
  public var dosing: DosingPolicy
  /// Ask readers to confirm every message to this audience unless the
  /// sender says otherwise (`[audiences.NAME.confirm]`).
  public var confirmation: ConfirmationRequest?
  /// Where its people's questions go (`[audiences.NAME.inbound]`); nil:
  /// to the `[inbound]` routing, and email replies keep the plain Reply-To.
  public var inbound: InboundRouting?
  /// Four eyes before a message reaches it (`[audiences.NAME.approval]`).
  public var approval: ApprovalRule?

  public init(
    name: String, displayName: String, displayNames: [String: String] = [:],
    template: AudienceTemplate = .standard, dosing: DosingPolicy = .standard,
    confirmation: ConfirmationRequest? = nil, inbound: InboundRouting? = nil,
    approval: ApprovalRule? = nil
  ) {
    self.approval = approval
    self.inbound = inbound
    self.confirmation = confirmation
    self.name = name
    self.displayName = displayName
    self.displayNames = displayNames
    self.template = template
    self.dosing = dosing
  }

  /// The audience's name for a reader of `language`.
  public func displayName(in language: String) -> String {
    displayNames[language] ?? displayName
  }
}
