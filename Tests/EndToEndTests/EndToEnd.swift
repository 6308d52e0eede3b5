import Testing

/// End-to-end tests: the real `commsd` binary against real receivers on
/// loopback. They run one at a time: each starts servers and a daemon, and
/// the machine has two cores.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EndToEnd {}

/// `[[recipients]]` TOML for tests.
func recipient(
  _ id: String, _ name: String, audiences: [String], contacts: [String], language: String? = nil
) -> String {
  var text = """
    [[recipients]]
    id = "\(id)"
    name = "\(name)"
    audiences = [\(audiences.map { "\"\($0)\"" }.joined(separator: ", "))]
    contacts = [\(contacts.map { "\"\($0)\"" }.joined(separator: ", "))]

    """
  if let language { text += "language = \"\(language)\"\n" }
  return text + "\n"
}

/// `count` staff members (`staff-1` …), each with a webhook contact of their
/// own (`hook:m1` …), as `[[recipients]]` TOML.
func staff(_ count: Int) -> String {
  (1...count).map { index in
    recipient(
      "staff-\(index)", "Medarbejder \(index)", audiences: ["staff"], contacts: ["hook:m\(index)"])
  }.joined()
}

/// Each delivery's recorded attempts, from `SELECT id || ' ' || attempts
/// FROM deliveries` as psql prints it: what the crash tests hold the
/// receiver's arrivals to.
func recordedAttempts(_ rows: String) -> [String: Int] {
  rows.split(separator: "\n").reduce(into: [String: Int]()) { result, line in
    let parts = line.split(separator: " ")
    if parts.count == 2 { result[String(parts[0])] = Int(parts[1]) }
  }
}
