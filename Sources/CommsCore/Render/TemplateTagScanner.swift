import Foundation

/// Reads the tags of a template before swift-mustache compiles it, because the
/// library keeps what it parsed to itself and renders an unknown name as
/// nothing. Finding the names here lets a typo such as `{{buletin}}` fail when
/// the configuration is loaded, with a message that names the tag and line.
///
/// Only the standard `{{` `}}` delimiters are understood, so changing them
/// (`{{=<% %>=}}`) is refused; partials and template inheritance are refused
/// too, because an audience template has no library to take them from.
enum TemplateTagScanner {
  /// What is wrong with a template, in words for the operator.
  struct Problem: Error {
    var message: String
  }

  /// A piece of a flat template: text as written, or a variable's value.
  enum Segment: Sendable, Equatable {
    case text(String)
    case variable(TemplateVariable)
  }

  /// What a template uses.
  struct Scan {
    var variables: Set<TemplateVariable> = []
    /// The template as text and plain variables, when it has nothing else
    /// (no sections, comments, pragmas or transforms). Mustache renders such
    /// a template as exactly these pieces, since only those other tags
    /// change the text around them.
    var segments: [Segment]? = []
  }

  /// Reads `text`; throws on an unknown name, an unknown transform, an
  /// unsupported tag, or sections that do not nest.
  static func scan(_ text: String) throws(Problem) -> Scan {
    let multiline = text.contains(where: \.isNewline)
    func place(_ index: String.Index) -> String {
      guard multiline else { return "" }
      return " on line \(text[..<index].reduce(1) { $0 + ($1.isNewline ? 1 : 0) })"
    }
    func unclosed(_ open: String.Index) -> Problem {
      let start = text[open...].prefix { !$0.isWhitespace }.prefix(24)
      return Problem(message: "unclosed tag \"\(start)\"\(place(open))")
    }

    var scan = Scan()
    var sections: [(name: String, variable: TemplateVariable, start: String.Index)] = []
    var searchFrom = text.startIndex
    while let open = text.range(of: "{{", range: searchFrom..<text.endIndex) {
      if open.lowerBound > searchFrom {
        scan.segments?.append(.text(String(text[searchFrom..<open.lowerBound])))
      }
      let tripled = text[open.upperBound...].hasPrefix("{")
      let contentStart = tripled ? text.index(after: open.upperBound) : open.upperBound
      guard let close = text.range(of: "}}", range: contentStart..<text.endIndex) else {
        throw unclosed(open.lowerBound)
      }
      searchFrom = close.upperBound
      if tripled {
        guard text[close.upperBound...].hasPrefix("}") else {
          throw Problem(
            message: "\"{{{\" is closed by \"}}\" instead of \"}}}\"\(place(open.lowerBound))")
        }
        searchFrom = text.index(after: close.upperBound)
      }
      let content = text[contentStart..<close.lowerBound]
      let tag = "{{\(tripled ? "{" : "")\(content)}}\(tripled ? "}" : "")"
      let sigil = tripled ? "{" : content.first
      let name = (tripled || !"#^/&!%=><$".contains(sigil ?? " ") ? content : content.dropFirst())
        .trimmingCharacters(in: .whitespaces)
      if sigil != "!", content.contains("{{") { throw unclosed(open.lowerBound) }

      switch sigil {
      case "!", "%":
        scan.segments = nil  // comments; pragmas are checked by swift-mustache
      case "=":
        throw Problem(
          message: "changing the tag delimiters (\(tag)) is not supported\(place(open.lowerBound))")
      case ">", "<", "$":
        throw Problem(
          message:
            "partials and blocks (\(tag)) are not supported in audience templates\(place(open.lowerBound))"
        )
      case "/":
        guard let section = sections.popLast() else {
          throw Problem(message: "\(tag) closes no open section\(place(open.lowerBound))")
        }
        guard section.name == name else {
          throw Problem(
            message: "section \"\(section.name)\" is closed by \(tag)\(place(open.lowerBound))")
        }
      default:
        let variable = try resolve(
          name, tag: tag, innermost: sections.last?.variable, at: place(open.lowerBound))
        scan.variables.insert(variable)
        if sigil == "#" || sigil == "^" {
          sections.append((name, variable, open.lowerBound))
          scan.segments = nil
        } else if name == variable.rawValue {
          scan.segments?.append(.variable(variable))
        } else {
          scan.segments = nil  // `.` or a transform
        }
      }
    }
    if let section = sections.last {
      throw Problem(message: "unclosed section \"\(section.name)\"\(place(section.start))")
    }
    if searchFrom < text.endIndex { scan.segments?.append(.text(String(text[searchFrom...]))) }
    return scan
  }

  /// The variable a tag's name refers to, after checking its transforms, e.g.
  /// `uppercased(audience)`. `.` is the value of the innermost section.
  private static func resolve(
    _ name: String, tag: String, innermost: TemplateVariable?, at place: String
  ) throws(Problem) -> TemplateVariable {
    var transforms: [String] = []
    var inner = Substring(name)
    while let paren = inner.firstIndex(of: "(") {
      guard inner.last == ")" else { throw Problem(message: "\(tag) is not a valid tag\(place)") }
      transforms.append(String(inner[..<paren]))
      inner = inner[inner.index(after: paren)..<inner.index(before: inner.endIndex)]
    }
    let variable: TemplateVariable
    if inner.isEmpty {
      throw Problem(message: "\(tag) names no variable\(place)")
    } else if inner == "." {
      guard let innermost else {
        throw Problem(message: "\(tag) outside a section has no value\(place)")
      }
      variable = innermost
    } else if let known = TemplateVariable(rawValue: String(inner)) {
      variable = known
    } else {
      let hint =
        TemplateVariable.suggestion(for: String(inner)).map { "did you mean \"\($0.rawValue)\"?" }
        ?? "the variables are \(TemplateVariable.allCases.map(\.rawValue).joined(separator: ", "))"
      throw Problem(message: "unknown variable \"\(inner)\" in \(tag)\(place); \(hint)")
    }
    for transform in transforms where !variable.transforms.contains(transform) {
      throw Problem(
        message:
          "unknown transform \"\(transform)\" in \(tag)\(place); \"\(variable.rawValue)\" takes "
          + variable.transforms.sorted().joined(separator: ", ")
      )
    }
    return variable
  }
}
