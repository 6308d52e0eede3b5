import Foundation
import Testing

@testable import CommsCore

/// What Python's `email` package (policy `default`) reads back from rendered bytes: the
/// independent check that encoded-words, quoting, folding and quoted-printable decode to
/// the original text.
struct PythonReading: Decodable {
  let subject: String
  /// Each mailbox as [display name, address]. Python's address parser keeps the white
  /// space between adjacent encoded-words in a display name (CPython gh-128110), which RFC
  /// 2047 §6.2 says to ignore; such headers are read with the RFC 2047 decoder instead.
  let from: [[String]]
  let to: [[String]]
  let replyTo: [[String]]
  let messageID: String
  let timestamp: Double
  let body: String
  let headers: [[String]]
  let defects: [String]

  private static let script = """
    import email, email.header, email.policy, email.utils, json, re, sys
    with open(sys.argv[1], 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    def boxes(name):
        v = m[name]
        if v is None:
            return []
        raw = dict(m.raw_items())[name].replace('\\r\\n', '')
        if re.search(r'\\?=\\s+=\\?', raw):
            return [[str(email.header.make_header(email.header.decode_header(n))), a]
                    for n, a in email.utils.getaddresses([raw])]
        return [[a.display_name, a.addr_spec] for a in v.addresses]
    defects = [type(d).__name__ for d in m.defects]
    for k, v in m.items():
        defects += [k + ': ' + type(d).__name__ for d in getattr(v, 'defects', ())]
    print(json.dumps({
        'subject': str(m['Subject']), 'from': boxes('From'), 'to': boxes('To'),
        'replyTo': boxes('Reply-To'), 'messageID': str(m['Message-ID']),
        'timestamp': m['Date'].datetime.timestamp(), 'body': m.get_content(),
        'headers': [[k, str(v)] for k, v in m.items()], 'defects': defects,
    }))
    """

  /// Writes `bytes` to a temporary file and parses it with `python3`.
  static func read(_ bytes: [UInt8]) throws -> PythonReading {
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-email-\(UUID().uuidString).eml")
    try Data(bytes).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, file.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python3 failed to parse the message")
    return try JSONDecoder().decode(PythonReading.self, from: data)
  }
}

/// Exact comparison by Unicode scalars: `==` on String would accept a canonically
/// equivalent but differently encoded text.
func sameScalars(_ lhs: String, _ rhs: String) -> Bool {
  Array(lhs.unicodeScalars) == Array(rhs.unicodeScalars)
}

/// The body Python's `get_content()` should return for `text`: every line break (sent as
/// CRLF) read back as LF, and a final one added when `text` has none.
func expectedDecodedBody(_ text: String) -> String {
  var body = text.replacingOccurrences(of: "\r\n", with: "\n")
    .replacingOccurrences(of: "\r", with: "\n")
  if !body.isEmpty && !body.hasSuffix("\n") { body += "\n" }
  return body
}

/// Checks the wire format of a rendered message: 7-bit, every line ends in CRLF with no
/// stray CR or LF, header lines ≤ 78 and body lines ≤ 76 octets, continuation lines start
/// with white space, each encoded-word ≤ 75 characters and valid UTF-8 on its own, and
/// each quoted-printable line well formed and valid UTF-8 on its own.
func expectWellFormed(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(bytes.allSatisfy { $0 < 0x80 }, "not 7-bit clean", sourceLocation: sourceLocation)
  #expect(bytes.suffix(2) == [13, 10], "does not end in CRLF", sourceLocation: sourceLocation)
  let text = String(decoding: bytes, as: UTF8.self)
  var lines = text.components(separatedBy: "\r\n")
  lines.removeLast()
  var inBody = false
  for line in lines {
    #expect(
      !line.contains("\r") && !line.contains("\n"), "stray CR or LF in \(line)",
      sourceLocation: sourceLocation)
    if line.isEmpty && !inBody {
      inBody = true
      continue
    }
    let limit = inBody ? 76 : 78
    #expect(line.utf8.count <= limit, "line over \(limit): \(line)", sourceLocation: sourceLocation)
    if inBody {
      #expect(
        decodedQuotedPrintableLine(line) != nil, "bad QP line \(line)",
        sourceLocation: sourceLocation)
    } else {
      #expect(
        line.contains(":") || line.hasPrefix(" "), "bad header line \(line)",
        sourceLocation: sourceLocation)
      for word in encodedWords(in: line) {
        #expect(
          word.raw.count <= 75, "encoded-word over 75: \(word.raw)", sourceLocation: sourceLocation)
        #expect(
          word.text != nil, "encoded-word not UTF-8: \(word.raw)", sourceLocation: sourceLocation)
      }
    }
  }
  #expect(inBody, "no blank line after the headers", sourceLocation: sourceLocation)
}

/// The RFC 2047 encoded-words in a header line, each with its own decoded text (`nil` when
/// it is not valid UTF-8 by itself).
func encodedWords(in line: String) -> [(raw: Substring, text: String?)] {
  line.matches(of: /=\?UTF-8\?([QB])\?([^?]*)\?=/).map { match in
    let payload = String(match.output.2)
    let bytes: [UInt8]?
    if match.output.1 == "B" {
      bytes = Data(base64Encoded: payload).map { Array($0) }
    } else {
      bytes = hexDecoded(payload.replacingOccurrences(of: "_", with: " "))
    }
    return (match.output.0, bytes.flatMap { String(validating: $0, as: UTF8.self) })
  }
}

/// The text of one quoted-printable line without its soft break, or `nil` when an escape
/// is malformed, white space ends the line, or the line's bytes are not UTF-8 by themselves.
func decodedQuotedPrintableLine(_ line: String) -> String? {
  var content = Substring(line)
  if content.hasSuffix("=") {
    content = content.dropLast()
  } else if content.last == " " || content.last == "\t" {
    return nil
  }
  return hexDecoded(String(content)).flatMap { String(validating: $0, as: UTF8.self) }
}

private func hexDecoded(_ text: String) -> [UInt8]? {
  var bytes: [UInt8] = []
  var iterator = Array(text.utf8).makeIterator()
  while let byte = iterator.next() {
    guard byte == UInt8(ascii: "=") else {
      bytes.append(byte)
      continue
    }
    guard let high = iterator.next(), let low = iterator.next(),
      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16),
      String(decoding: [high, low], as: UTF8.self).uppercased()
        == String(decoding: [high, low], as: UTF8.self)
    else { return nil }
    bytes.append(value)
  }
  return bytes
}
