import Foundation

/// What an operator may do (`[[operators]] rights`, and an API token's).
public enum OperatorRight: String, Sendable, Codable, CaseIterable, Comparable {
  /// Send messages (`commsd send`, `POST /v1/messages`).
  case send
  /// Cancel and supersede them.
  case cancel
  /// Approve or reject messages that wait for a second person.
  case approve
  /// Read the audit log, reports and a person's record.
  case audit
  /// Read and answer the questions that came back (`commsd inbox`).
  case inbox

  public static func < (lhs: OperatorRight, rhs: OperatorRight) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// One `[[operators]]` entry: a Unix user or group, the audiences it may
/// reach, the most urgent priority it may use, and its rights.
///
/// ```toml
/// [[operators]]
/// group = "krisestab"          # or user = "mette"
/// audiences = ["*"]            # every audience; or a list
/// max_priority = "flash"
/// rights = ["send", "cancel", "approve", "audit", "inbox"]
/// ```
public struct OperatorRule: Sendable, Equatable {
  public enum Who: Sendable, Equatable, CustomStringConvertible {
    /// A Unix user, or a local console account of that name.
    case user(String)
    case group(String)
    /// A group the identity provider names in the console's sign-in.
    case idpGroup(String)

    public var description: String {
      switch self {
      case .user(let name): "user \(name)"
      case .group(let name): "group \(name)"
      case .idpGroup(let name): "idp_group \(name)"
      }
    }
  }

  public var who: Who
  /// nil: every audience (`["*"]`).
  public var audiences: Set<String>?
  public var maxPriority: Priority
  public var rights: Set<OperatorRight>

  public init(
    who: Who, audiences: Set<String>?, maxPriority: Priority, rights: Set<OperatorRight>
  ) {
    self.who = who
    self.audiences = audiences
    self.maxPriority = maxPriority
    self.rights = rights
  }
}

/// What one person may do: every `[[operators]]` entry that names them or
/// one of their groups, together.
public struct OperatorScope: Sendable, Equatable {
  public var person: String
  /// nil: every audience.
  public var audiences: Set<String>?
  public var maxPriority: Priority
  public var rights: Set<OperatorRight>
  /// The entries it came from, for a refusal's message.
  public var rules: [String]

  /// Refuses what `request` asks beyond this scope, naming the field
  /// (`operator` without the right to send, `audiences`, `priority`).
  public func authorize(_ request: SendRequest) throws(IntakeError) {
    guard rights.contains(.send) else { return try authorize(.send) }
    if let audiences {
      let outside = request.audiences.filter { !audiences.contains($0) }
      if !outside.isEmpty {
        throw IntakeError(
          field: "audiences",
          "\(person) may not send to \(outside.joined(separator: ", ")) (may: \(audiences.sorted().joined(separator: ", ")))"
        )
      }
    }
    if request.priority < maxPriority {
      throw IntakeError(
        field: "priority",
        "\(person) may send at most \(maxPriority.rawValue) priority, not \(request.priority.rawValue)"
      )
    }
    // Superseding withdraws the old message: that is cancelling.
    if request.supersedes != nil { try authorize(.cancel, over: request.audiences) }
  }

  /// Refuses `right` (over `audiences`, when the act concerns some)
  /// beyond this scope, naming `operator` or `audiences`.
  public func authorize(_ right: OperatorRight, over audiences: [String] = [])
    throws(IntakeError)
  {
    guard rights.contains(right) else {
      let has = rights.sorted().map(\.rawValue).joined(separator: ", ")
      throw IntakeError(
        field: "operator",
        "\(person) lacks the right \"\(right.rawValue)\" (rights: \(has.isEmpty ? "none" : has))")
    }
    if let allowed = self.audiences {
      let outside = audiences.filter { !allowed.contains($0) }
      if !outside.isEmpty {
        throw IntakeError(
          field: "audiences",
          "\(person) may not \(right.rawValue) for \(outside.joined(separator: ", ")) (may: \(allowed.sorted().joined(separator: ", ")))"
        )
      }
    }
  }
}

/// The `[[operators]]` of a configuration. Without any, every user who may
/// use the intake socket (or write the store) may send anything, as before
/// (`config check` says so).
public struct OperatorPolicy: Sendable, Equatable {
  public var rules: [OperatorRule]

  public init(_ rules: [OperatorRule] = []) { self.rules = rules }

  public var isEnforced: Bool { !rules.isEmpty }

  /// The scope of `user` in `groups`; nil when no entry names them.
  public func scope(user: String, groups: Set<String>) -> OperatorScope? {
    scope(user: user, groups: groups, idpGroups: [])
  }

  /// The scope of `user` (nil: a person known only by their identity
  /// provider's groups) in Unix `groups` and identity provider `idpGroups`.
  func scope(user: String?, groups: Set<String>, idpGroups: Set<String>, person: String? = nil)
    -> OperatorScope?
  {
    let matching = rules.filter { rule in
      switch rule.who {
      case .user(let name): name == user
      case .group(let name): groups.contains(name)
      case .idpGroup(let name): idpGroups.contains(name)
      }
    }
    guard !matching.isEmpty else { return nil }
    var audiences: Set<String>? = []
    for rule in matching {
      guard let these = rule.audiences else {
        audiences = nil
        break
      }
      audiences?.formUnion(these)
    }
    return OperatorScope(
      person: person ?? user ?? "", audiences: audiences,
      maxPriority: matching.map(\.maxPriority).min() ?? .bulk,
      rights: matching.reduce(into: Set<OperatorRight>()) { $0.formUnion($1.rights) },
      rules: matching.map(\.who.description))
  }

  /// Refuses `request` unless the person behind `account` (with the
  /// kernel's login uid, when set: the person behind a `sudo`) may send
  /// it; passes everything when there are no `[[operators]]`.
  public func authorize(_ request: SendRequest, account: UInt32, loginUID: UInt32?)
    throws(IntakeError)
  {
    guard isEnforced else { return }
    try scope(account: account, loginUID: loginUID).authorize(request)
  }

  /// The scope of the person behind `account` (or the login uid); refuses
  /// one no entry names.
  func scope(account: UInt32, loginUID: UInt32?) throws(IntakeError) -> OperatorScope {
    let person = OperatorAccount(uid: loginUID ?? account)
    guard let scope = scope(user: person.name, groups: person.groups) else {
      throw IntakeError(
        field: "operator",
        "\(person.name) is not an operator: no [[operators]] entry names the user or one of their groups"
      )
    }
    return scope
  }
}

extension OperatorPolicy {
  /// Refuses `right` over `audiences` unless the person behind `account`
  /// (or the login uid) has it; passes everything without `[[operators]]`.
  public func authorize(
    _ right: OperatorRight, over audiences: [String] = [], account: UInt32, loginUID: UInt32?
  ) throws(IntakeError) {
    guard isEnforced else { return }
    try scope(account: account, loginUID: loginUID).authorize(right, over: audiences)
  }
}

/// A Unix account's name and groups, as the system's user database has them.
public struct OperatorAccount: Sendable, Equatable {
  public var name: String
  public var groups: Set<String>

  public init(name: String, groups: Set<String>) {
    self.name = name
    self.groups = groups
  }

  /// Looked up by uid (`getpwuid`, `getgrouplist`); a uid without an
  /// entry is `uid1234` in no group.
  public init(uid: UInt32) {
    guard let entry = getpwuid(uid), let namePointer = entry.pointee.pw_name else {
      self.init(name: "uid\(uid)", groups: [])
      return
    }
    let name = String(cString: namePointer)
    let primary = entry.pointee.pw_gid
    var count: Int32 = 64
    var ids = [gid_t](repeating: 0, count: Int(count))
    if getgrouplist(namePointer, primary, &ids, &count) < 0, count > 0, count <= 65_536 {
      ids = [gid_t](repeating: 0, count: Int(count))
      _ = getgrouplist(namePointer, primary, &ids, &count)
    }
    var groups = Set<String>()
    for id in ids.prefix(Int(max(0, min(count, Int32(clamping: ids.count))))) {
      if let group = getgrgid(id), let groupName = group.pointee.gr_name {
        groups.insert(String(cString: groupName))
      }
    }
    self.init(name: name, groups: groups)
  }
}
