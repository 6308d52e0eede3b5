import Foundation

/// Writes a `CAPAlert` as a CAP 1.2 document: elements in the schema's
/// order, two-space indentation, text escaped, UTF-8.
///
/// What `CAPReader.parse` gives back for the document equals the alert,
/// except for these normalisations:
/// - Info dates are written in UTC (`+00:00`) and whole seconds; `sent` keeps
///   `sentText` while it denotes `sent`, else it too is written in UTC.
/// - Free text is written as is, so surrounding whitespace survives; carriage
///   returns are written as `&#13;` so that XML's line-end rule keeps them;
///   characters XML 1.0 cannot carry (most C0 controls) become U+FFFD.
/// - Numbers are written in the shortest decimal form that reads back equal.
public enum CAPWriter {
  public static func xml(_ alert: CAPAlert) -> String {
    var out = Output()
    out.text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out.open("alert", attributes: " xmlns=\"\(CAPReader.namespace)\"")
    out.leaf("identifier", alert.identifier)
    out.leaf("sender", alert.sender)
    let sentText = CAPDateTime.parse(alert.sentText) == alert.sent ? alert.sentText : nil
    out.leaf("sent", sentText ?? CAPDateTime.format(alert.sent))
    out.leaf("status", alert.status.rawValue)
    out.leaf("msgType", alert.msgType.rawValue)
    out.leaf("source", alert.source)
    out.leaf("scope", alert.scope.rawValue)
    out.leaf("restriction", alert.restriction)
    out.leaf("addresses", alert.addresses)
    for code in alert.codes { out.leaf("code", code) }
    out.leaf("note", alert.note)
    if !alert.references.isEmpty {
      let triples = alert.references.map { "\($0.sender),\($0.identifier),\($0.sent)" }
      out.leaf("references", triples.joined(separator: " "))
    }
    out.leaf("incidents", alert.incidents)
    for info in alert.infos { write(info, to: &out) }
    out.close("alert")
    return out.text
  }

  private static func write(_ info: CAPInfo, to out: inout Output) {
    out.open("info")
    out.leaf("language", info.language)
    for category in info.categories { out.leaf("category", category.rawValue) }
    out.leaf("event", info.event)
    for response in info.responseTypes { out.leaf("responseType", response.rawValue) }
    out.leaf("urgency", info.urgency.rawValue)
    out.leaf("severity", info.severity.rawValue)
    out.leaf("certainty", info.certainty.rawValue)
    out.leaf("audience", info.audience)
    out.pairs("eventCode", info.eventCodes)
    out.leaf("effective", info.effective.map(CAPDateTime.format))
    out.leaf("onset", info.onset.map(CAPDateTime.format))
    out.leaf("expires", info.expires.map(CAPDateTime.format))
    out.leaf("senderName", info.senderName)
    out.leaf("headline", info.headline)
    out.leaf("description", info.description)
    out.leaf("instruction", info.instruction)
    out.leaf("web", info.web)
    out.leaf("contact", info.contact)
    out.pairs("parameter", info.parameters)
    for resource in info.resources {
      out.open("resource")
      out.leaf("resourceDesc", resource.resourceDesc)
      out.leaf("mimeType", resource.mimeType)
      out.leaf("size", resource.size.map(String.init))
      out.leaf("uri", resource.uri)
      out.leaf("derefUri", resource.derefUri)
      out.leaf("digest", resource.digest)
      out.close("resource")
    }
    for area in info.areas { write(area, to: &out) }
    out.close("info")
  }

  private static func write(_ area: CAPArea, to out: inout Output) {
    func point(_ point: CAPPoint) -> String {
      "\(CAPDecimal.format(point.latitude)),\(CAPDecimal.format(point.longitude))"
    }
    out.open("area")
    out.leaf("areaDesc", area.areaDesc)
    for polygon in area.polygons {
      out.leaf("polygon", polygon.points.map(point).joined(separator: " "))
    }
    for circle in area.circles {
      out.leaf("circle", "\(point(circle.center)) \(CAPDecimal.format(circle.radius))")
    }
    out.pairs("geocode", area.geocodes)
    out.leaf("altitude", area.altitude.map(CAPDecimal.format))
    out.leaf("ceiling", area.ceiling.map(CAPDecimal.format))
    out.close("area")
  }

  /// The document so far and the current depth.
  private struct Output {
    var text = ""
    var depth = 0

    mutating func open(_ name: String, attributes: String = "") {
      indent()
      text += "<\(name)\(attributes)>\n"
      depth += 1
    }

    mutating func close(_ name: String) {
      depth -= 1
      indent()
      text += "</\(name)>\n"
    }

    /// `<name>value</name>`, or nothing when `value` is nil.
    mutating func leaf(_ name: String, _ value: String?) {
      guard let value else { return }
      indent()
      text += "<\(name)>\(CAPWriter.escaped(value))</\(name)>\n"
    }

    mutating func pairs(_ name: String, _ pairs: [CAPNamedValue]) {
      for pair in pairs {
        open(name)
        leaf("valueName", pair.valueName)
        leaf("value", pair.value)
        close(name)
      }
    }

    private mutating func indent() { text += String(repeating: "  ", count: depth) }
  }

  /// `value` as XML character data (see the type's notes).
  static func escaped(_ value: String) -> String {
    var result = ""
    result.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\r": result += "&#13;"
      case "\t", "\n": result.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
        result.unicodeScalars.append("\u{FFFD}")
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}
